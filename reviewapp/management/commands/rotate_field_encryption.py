"""Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEY, so older keys can be retired."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviewapp.identity import crypto
from reviewapp.models import MfaDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt TOTP seeds with the first key in FIELD_ENCRYPTION_KEY. Run after putting a new key "
        "first; remove the old key only once this has succeeded."
    )

    def handle(self, *args, **options) -> None:
        if not crypto.is_configured():
            raise CommandError("FIELD_ENCRYPTION_KEY is not set: there is no key to rotate to.")
        done = 0
        failed: list[int] = []
        with transaction.atomic():
            for device in MfaDevice.objects.select_for_update().only("pk", "encrypted_secret"):
                try:
                    device.encrypted_secret = crypto.reencrypt(device.encrypted_secret)
                except crypto.DecryptionError:
                    failed.append(device.pk)
                    continue
                device.save(update_fields=["encrypted_secret"])
                done += 1
            if failed:
                # All or nothing: after a half rotation nobody knows which old key is still needed.
                transaction.set_rollback(True)
        if failed:
            raise CommandError(
                f"{len(failed)} authenticator(s) could not be decrypted with any configured key "
                f"(ids {failed[:20]}); nothing was changed. Add the key they were made with to "
                "FIELD_ENCRYPTION_KEY and run again."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {done} authenticator seed(s) with the current key.")
        )
