"""Writes for API clients and tokens. Secrets are returned once and kept only
as hashes."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from cms.accounts.models import Organisation, Role, User
from cms.accounts.services import role_grant

from .models import PERSONAL_SCOPES, AccessToken, ApiClient, Scope

TOKEN_PREFIX = "tdl_"  # noqa: S105 (a prefix, not a secret)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "API_TOKEN_SECONDS", 3600))


def api_client_create(
    *,
    name: str,
    organisation: Organisation,
    scopes: list[str],
    allowed_kinds: list[str] | None = None,
    provider_code: str = "",
    rate_limit_per_minute: int = 600,
) -> tuple[ApiClient, str]:
    """Register a client; returns it and its secret (shown once, never stored).

    The client acts through a service account holding the HR role over its
    organisation, so it sees exactly what that organisation's HR sees."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    client_id = f"c_{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        user = User(username=f"api-{client_id}", is_active=False)
        user.set_unusable_password()
        user.save()
        role_grant(user=user, role=Role.HR, organisation=organisation)
        client = ApiClient.objects.create(
            name=name,
            organisation=organisation,
            service_user=user,
            client_id=client_id,
            secret_hash=make_password(secret),
            scopes=list(scopes),
            allowed_kinds=list(allowed_kinds or []),
            provider_code=provider_code,
            rate_limit_per_minute=rate_limit_per_minute,
        )
    return client, secret


def api_client_rotate_secret(*, client: ApiClient) -> str:
    secret = secrets.token_urlsafe(32)
    client.secret_hash = make_password(secret)
    client.save(update_fields=["secret_hash"])
    return secret


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """Refuse the client at once: it is deactivated and its tokens revoked."""
    now = timezone.now()
    with transaction.atomic():
        ApiClient.objects.filter(pk=client.pk).update(active=False, revoked_at=now)
        AccessToken.objects.filter(client=client, revoked_at__isnull=True).update(
            revoked_at=now
        )
    client.refresh_from_db()
    return client


def client_authenticate(*, client_id: str, secret: str) -> ApiClient | None:
    client = ApiClient.objects.filter(client_id=client_id, active=True).first()
    if client is None:
        make_password(secret)  # the same work whether or not the id exists
        return None
    return client if check_password(secret, client.secret_hash) else None


def client_token_issue(
    *, client: ApiClient, scopes: list[str] | None = None
) -> tuple[str, AccessToken]:
    """An access token for the client-credentials grant."""
    granted = [s for s in client.scopes if scopes is None or s in scopes]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = AccessToken.objects.create(
        token_hash=token_digest(token),
        client=client,
        scopes=granted,
        expires_at=timezone.now() + _token_lifetime(),
    )
    return token, record


def personal_token_create(
    *, user: User, name: str, days: int = 90
) -> tuple[str, AccessToken]:
    """A token for a person's own data (read only); shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = AccessToken.objects.create(
        token_hash=token_digest(token),
        user=user,
        name=name[:80],
        scopes=[str(s) for s in PERSONAL_SCOPES],
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return token, record


def personal_token_revoke(*, user: User, token_id: int) -> bool:
    return bool(
        AccessToken.objects.filter(
            pk=token_id, user=user, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    )


@dataclass
class Principal:
    """Who is calling: a client's service account, or a person."""

    user: User
    client: ApiClient | None
    scopes: list[str] = field(default_factory=list)
    token_id: int | None = None

    @property
    def personal(self) -> bool:
        return self.client is None

    @property
    def rate_key(self) -> str:
        return f"c{self.client.pk}" if self.client else f"u{self.user.pk}"

    @property
    def rate_limit(self) -> int:
        if self.client is not None:
            return self.client.rate_limit_per_minute
        return getattr(settings, "API_PERSONAL_RATE_LIMIT", 120)


def principal_for_token(token: str) -> Principal | None:
    """The caller behind a bearer token, checked on every call (a revoked
    client or token is refused at once, no cache in between)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    record = (
        AccessToken.objects.select_related("client__service_user", "user")
        .filter(
            token_hash=token_digest(token),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if record is None:
        return None
    if record.client is not None:
        if not record.client.active:
            return None
        return Principal(
            user=record.client.service_user,
            client=record.client,
            scopes=list(record.scopes),
            token_id=record.pk,
        )
    if not record.user.is_active:
        return None
    return Principal(
        user=record.user, client=None, scopes=list(record.scopes), token_id=record.pk
    )
