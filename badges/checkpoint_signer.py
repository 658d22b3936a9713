"""Signs the credit ledger's checkpoints with the platform's credential key.

The ledger (credits) sits below this app and cannot import it; this signer is
registered with `credits.checkpoints` when the app starts."""

from __future__ import annotations

from collections.abc import Callable

from . import keys
from .models import IssuerKey
from .multikey import (
    MultibaseError,
    multibase_b58_decode,
    multibase_b58_encode,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_to_multibase,
    verify_signature,
)


class PlatformKeySigner:
    def sign(self, message_for: Callable[[str], bytes]) -> dict:
        key = keys.active_key(keys.platform_issuer())
        secret = keys.private_key(key)
        signature = secret.sign(message_for(key.key_id))
        return {
            "key": key.key_id,
            "public_key": key.public_key_multibase,
            "signature": multibase_b58_encode(signature),
        }

    def _trusted(self) -> dict[str, set[str]]:
        """{key id: public multibases} of the platform: derived from the private
        keys an operator provides (outside the database) and listed there."""
        trusted: dict[str, set[str]] = {}
        for key_id, secret in (
            keys._load_secret_keys().get(keys.PLATFORM_SLUG, {}).items()
        ):
            try:
                public = public_key_to_multibase(
                    private_key_from_multibase(secret).public_key()
                )
            except (MultibaseError, ValueError):
                continue
            trusted.setdefault(key_id, set()).add(public)
        for key_id, public in IssuerKey.objects.filter(
            issuer__slug=keys.PLATFORM_SLUG
        ).values_list("key_id", "public_key_multibase"):
            trusted.setdefault(key_id, set()).add(public)
        return trusted

    def checker(self) -> Callable[..., str | None]:
        trusted = self._trusted()

        def problem(
            *, key_id: str, public_key: str, signature: str, message: bytes
        ) -> str | None:
            if public_key not in trusted.get(key_id, set()):
                return (
                    f"is signed with {key_id}, which is not one of the platform's keys"
                )
            try:
                good = verify_signature(
                    public_key_from_multibase(public_key),
                    multibase_b58_decode(signature),
                    message,
                )
            except (MultibaseError, ValueError):
                good = False
            if not good:
                return "does not match its signature: the file was changed"
            return None

        return problem
