"""Sign-in and identity: TOTP second factor, recovery codes, throttling, tracked sessions, field encryption.

The models live in `identity/models.py` and are imported by `reviewapp/models.py`, so they belong to the
`reviewapp` app and its migrations. Writes that users trigger go through `reviewapp.services.identity`.
"""

from . import checks  # noqa: E402, F401  (registers the deploy checks)
