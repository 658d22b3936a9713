from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("可验证证书")

    def ready(self):
        from . import checks, signals  # noqa: F401

        signals.connect()
        # The ledger's checkpoints are signed with the platform's key.
        from credits.checkpoints import register_signer

        from .checkpoint_signer import PlatformKeySigner

        register_signer(PlatformKeySigner())
        # The compiled 1EdTech schema validators: loaded from their bytecode
        # cache in milliseconds, so no verification request pays for them.
        try:
            from . import schema

            schema.warm()
        except Exception:  # noqa: BLE001 -- never stop the site from starting
            import logging

            logging.getLogger(__name__).warning(
                "schema validators not preloaded", exc_info=True
            )
