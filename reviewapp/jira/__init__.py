"""Improvement items in Jira: a team's connection, the link of an item to its issue, and the sync between them.

models.py   JiraConnection (one per team, token encrypted) and JiraLink (one per item, unique)
client.py   the outbound HTTP client: http(s) only, same-host redirects only, timeouts, the token never logged
services.py connection writes and the item actions people take (create, link, confirm, dismiss)
sync.py     the engine a Celery task runs: create-or-find, status both ways, failures with backoff
See docs/jira.md.
"""
