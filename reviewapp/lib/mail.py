"""Once-only e-mails: the row that says an e-mail went out commits together with the send."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)


def send_once(*, record: Callable[[], object], message: EmailMessage, what: str) -> bool:
    """Send `message` in one transaction with `record()`, which writes the log row whose unique constraint
    makes the e-mail once-only (and its audit entry). False when another run already sent it, or when the send
    failed: then the row rolls back and the next run retries, and one bad mailbox does not stop the others."""
    try:
        with transaction.atomic():
            record()
            message.send()
    except IntegrityError:
        return False
    except Exception:
        logger.exception("%s failed", what)
        return False
    return True
