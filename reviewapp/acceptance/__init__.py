"""Risk acceptance with approval: a request, a decision by someone else, an expiry, and reminders before it.

The request and its decision are kept as rows (models.RiskAcceptance), so an item's acceptance history survives
its expiry or revocation; services.py writes them, and reviewapp.access decides who may approve.
"""
