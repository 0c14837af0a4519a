"""Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEY, so older keys can be retired."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviewapp.identity import crypto
from reviewapp.models import JiraConnection, MfaDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt TOTP seeds and Jira tokens with the first key in FIELD_ENCRYPTION_KEY. Run after putting a new key "
        "first; remove the old key only once this has succeeded."
    )

    def handle(self, *args, **options) -> None:
        if not crypto.is_configured():
            raise CommandError("FIELD_ENCRYPTION_KEY is not set: there is no key to rotate to.")
        done = 0
        failed: list[str] = []
        with transaction.atomic():
            for device in MfaDevice.objects.select_for_update().only("pk", "encrypted_secret"):
                try:
                    device.encrypted_secret = crypto.reencrypt(device.encrypted_secret)
                except crypto.DecryptionError:
                    failed.append(f"authenticator {device.pk}")
                    continue
                device.save(update_fields=["encrypted_secret"])
                done += 1
            tokens = 0
            for connection in JiraConnection.objects.select_for_update().only("pk", "token_encrypted"):
                try:
                    connection.token_encrypted = crypto.reencrypt(connection.token_encrypted)
                except crypto.DecryptionError:
                    failed.append(f"Jira connection {connection.pk}")
                    continue
                connection.save(update_fields=["token_encrypted"])
                tokens += 1
            if failed:
                # All or nothing: after a half rotation nobody knows which old key is still needed.
                transaction.set_rollback(True)
        if failed:
            raise CommandError(
                f"{len(failed)} secret(s) (authenticators and Jira tokens) could not be decrypted with any "
                f"configured key ({failed[:20]}); nothing was changed. Add the key they were made with to "
                "FIELD_ENCRYPTION_KEY and run again."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {done} authenticator seed(s) and {tokens} Jira token(s) with the current key."
            )
        )
