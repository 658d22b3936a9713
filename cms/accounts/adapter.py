"""How django-allauth treats our users: login throttling and mail failures.

Login throttling. allauth counts failed logins per address ("ip") and per
account ("key"). A whole school signs in from one address, so a per-address
limit tight enough to stop guessing locks out every colleague behind it when
one person mistypes. Here the tight limit is per account *and* address pair
(ACCOUNT_RATE_LIMITS["login_failed_pair"]): her mistakes lock only her, and
only where she is; a looser limit per account (all addresses together) stops
guessing from many addresses, and a loose one per address
(ACCOUNT_RATE_LIMITS["login_failed"]) stops one address trying many
accounts.

The regional unified identity (统一身份认证): SocialAccountAdapter links a
first login to an existing teacher by the rules of cms/accounts/regional.py,
refuses with their message, and never creates an account; AccountAdapter
keeps what the provider's logout needs and sends our logout on to it."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError, MailUnavailable

from . import regional

logger = logging.getLogger(__name__)

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

    def post_login(self, request, user, **kwargs: Any):
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        pending = getattr(request, "regional_oidc_pending", None) or (
            request.session.pop(regional.SESSION_PENDING, None)
        )
        if sociallogin is not None and pending:
            request.session[regional.SESSION_KEY] = pending
        return super().post_login(request, user, **kwargs)

    def get_logout_redirect_url(self, request) -> str:
        """After a login through the regional provider, our logout goes on to
        the provider's end_session_endpoint so its session ends too; it
        brings the browser back to our usual page after logout."""
        home = super().get_logout_redirect_url(request)
        info = request.session.get(regional.SESSION_KEY)
        if info:
            url = regional.end_session_url(
                info, request.build_absolute_uri(resolve_url(home))
            )
            if url:
                return url
        return home

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(str(exc)) from exc


# The version of the social apps kept in the database (bumped on every save
# and delete of one; see `connect`).
DATABASE_APPS = "socialapps"


def _database_has_apps() -> bool:
    from allauth.socialaccount.models import SocialApp

    from cms.shared import pagecache

    return pagecache.cached("socialapps-exist", DATABASE_APPS, SocialApp.objects.exists)


def _database_apps_changed(sender, **kwargs) -> None:
    from cms.shared import pagecache

    pagecache.bump(DATABASE_APPS)


def connect() -> None:
    from allauth.socialaccount.models import SocialApp
    from django.db.models.signals import post_delete, post_save

    for signal in (post_save, post_delete):
        signal.connect(
            _database_apps_changed,
            sender=SocialApp,
            dispatch_uid=f"socialapps-{id(signal)}",
        )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Logins through the regional provider: linked to an existing teacher
    or refused (cms/accounts/regional.py); nobody is created."""

    def list_apps(self, request, provider=None, client_id=None):
        """allauth's, without reading the database's social apps on every
        sign-in page while there are none (the regional provider is set in
        the settings): whether any exist is kept under a version that every
        save and delete of one bumps."""
        try:
            from allauth.socialaccount.adapter import _build_apps_from_settings
        except ImportError:  # another allauth: its own way, a query each time
            return super().list_apps(request, provider, client_id)
        if _database_has_apps():
            return super().list_apps(request, provider, client_id)
        by_provider = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for apps in by_provider.values() for app in apps]

    def _refuse(self, request, error: ApplicationError):
        request.session.pop(regional.SESSION_PENDING, None)
        messages.error(request, error.message)
        raise ImmediateHttpResponse(redirect("account_login"))

    def pre_social_login(self, request, sociallogin) -> None:
        claims = regional.claims_of(sociallogin.account.extra_data or {})
        try:
            if sociallogin.is_existing:
                regional.check_linked_login(sociallogin.user, claims)
                return
            teacher = regional.teacher_for_claims(claims)
            connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
            if connecting and teacher.user != request.user:
                # Connecting from her account pages: only to her own record.
                raise ApplicationError(
                    _("该统一身份对应的是另一位教师的档案，不能关联到当前账号。")
                )
            provider = sociallogin.account.provider
            other = (
                SocialAccount.objects.filter(user=teacher.user, provider=provider)
                .exclude(uid=sociallogin.account.uid)
                .exists()
            )
            if other:
                raise ApplicationError(
                    _(
                        "该教师档案已关联另一个统一身份账号，未登录。"
                        "请联系学校人事管理员核对。"
                    )
                )
        except ApplicationError as error:
            logger.warning(
                "regional login refused (provider %s, subject %s): %s",
                sociallogin.account.provider,
                sociallogin.account.uid,
                error.message,
            )
            self._refuse(request, error)
        if not connecting:  # the connect flow links to request.user itself
            sociallogin.connect(request, teacher.user)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
