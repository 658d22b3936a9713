"""How django-allauth treats our users: login throttling and mail failures.

Login throttling. allauth counts failed logins per address ("ip") and per
account ("key"). A whole school signs in from one address, so a per-address
limit tight enough to stop guessing locks out every colleague behind it when
one person mistypes. Here the tight limit is per account *and* address pair
(ACCOUNT_RATE_LIMITS["login_failed_pair"]): her mistakes lock only her, and
only where she is; a looser limit per account (all addresses together) stops
guessing from many addresses, and a loose one per address
(ACCOUNT_RATE_LIMITS["login_failed"]) stops one address trying many
accounts."""

from __future__ import annotations

import smtplib
from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit

from cms.shared.errors import MailUnavailable

PAIR_ACTION = "login_failed_pair"


class AccountAdapter(DefaultAccountAdapter):
    def _pair_key(self, request, **credentials: Any) -> str:
        account = self._get_login_attempts_cache_key(request, **credentials)
        return f"{account}@{ratelimit.get_ip(request)}"

    def pre_authenticate(self, request, **credentials: Any) -> None:
        # The pair first: once she is throttled, her further attempts do not
        # use up the account's allowance for her colleagues' addresses.
        pair = ratelimit.consume(
            request,
            app="allauth.account",
            action=PAIR_ACTION,
            config=app_settings.RATE_LIMITS,
            key=self._pair_key(request, **credentials),
        )
        if not pair:
            raise self.validation_error("too_many_login_attempts")
        try:
            super().pre_authenticate(request, **credentials)
        except Exception:
            pair.rollback()
            raise
        # A successful login rolls back both (see DefaultAccountAdapter).
        self._login_failed_rl_usage.usage.extend(pair.usage)

    def _delete_login_attempts_cached_email(self, request, **credentials: Any):
        super()._delete_login_attempts_cached_email(request, **credentials)
        ratelimit.clear(
            request,
            app="allauth.account",
            action=PAIR_ACTION,
            config=app_settings.RATE_LIMITS,
            key=self._pair_key(request, **credentials),
        )

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(str(exc)) from exc
