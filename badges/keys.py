"""Issuer identities (did:web) and their signing keys.

Private keys come from the environment (``CREDENTIAL_KEYS``, JSON) or a secret
file (``CREDENTIAL_KEYS_FILE``), shaped ``{"issuer-slug": {"key-id": "z..."}}``.
The public halves are recorded in the database so DID documents keep listing
retired keys. ``manage.py credential_key_generate`` makes a key and says where
to put it; production never makes one by itself and refuses to sign without.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import jsonld
from .models import Issuer, IssuerKey
from .multikey import (
    generate_private_key,
    private_key_from_multibase,
    private_key_to_multibase,
    public_key_to_multibase,
)

PLATFORM_SLUG = "platform"


class SigningKeyMissing(RuntimeError):
    """No private key for the issuer's active key: nothing can be signed."""


# --- did:web ---------------------------------------------------------------


def did_host() -> str:
    """The did:web host part: the site's host, with ':' before a port as %3A."""
    configured = getattr(settings, "CREDENTIAL_DID_HOST", "")
    if configured:
        return configured
    netloc = urlsplit(settings.SITE_BASE_URL).netloc
    return quote(netloc, safe="")


def did_for_new_issuer(issuer: Issuer) -> str:
    """The did:web of an issuer created now, at the site's current address."""
    if issuer.is_platform:
        return f"did:web:{did_host()}"
    return f"did:web:{did_host()}:issuers:{issuer.slug}"


def issuer_did(issuer: Issuer) -> str:
    """The DID the issuer was created with (kept when the site's address
    changes later)."""
    return issuer.did or did_for_new_issuer(issuer)


# DIDs of our issuers created under an earlier address, read once per process
# and again whenever an issuer is saved here. Issuers created at the current
# address are recognised by their form alone, so other processes need no news.
_older_dids: dict[str, str] | None = None
_older_lock = threading.Lock()


def forget_issuer_dids() -> None:
    global _older_dids
    with _older_lock:
        _older_dids = None


def _dids_from_earlier_addresses() -> dict[str, str]:
    global _older_dids
    with _older_lock:
        if _older_dids is None:
            _older_dids = dict(
                Issuer.objects.exclude(did__isnull=True).values_list("did", "slug")
            )
        return _older_dids


def slug_for_did(did: str) -> str | None:
    """Our issuer slug for one of our DIDs, else None."""
    base = f"did:web:{did_host()}"
    if did == base:
        return PLATFORM_SLUG
    prefix = base + ":issuers:"
    if did.startswith(prefix) and ":" not in did[len(prefix) :]:
        return did[len(prefix) :]
    if did.startswith("did:web:"):
        return _dids_from_earlier_addresses().get(did)
    return None


def verification_method_id(key: IssuerKey) -> str:
    return f"{issuer_did(key.issuer)}#{key.key_id}"


def did_document(issuer: Issuer) -> dict:
    did = issuer_did(issuer)
    methods = []
    usable = []
    for key in issuer.keys.all():
        vm = f"{did}#{key.key_id}"
        methods.append(
            {
                "id": vm,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
            }
        )
        # A compromised key stays listed (so verifiers can say why they fail)
        # but is no longer an assertion method.
        if key.status != IssuerKey.Status.COMPROMISED:
            usable.append(vm)
    return {
        "@context": [jsonld.DID_V1, jsonld.MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": usable,
    }


# --- issuers ---------------------------------------------------------------


def platform_issuer() -> Issuer:
    issuer, _ = Issuer.objects.get_or_create(
        slug=PLATFORM_SLUG,
        organisation=None,
        defaults={"name": settings.WAGTAIL_SITE_NAME},
    )
    return issuer


def studio_slug(studio) -> str:
    return f"studio-{studio.pk}"


def studio_issuer(studio) -> Issuer:
    """The studio's own issuer identity (did:web:host:issuers:studio-N), made
    on first use. It signs only its leader's endorsements."""
    issuer = Issuer.objects.filter(studio=studio).first()
    if issuer is not None:
        if issuer.name != studio.title[:120]:  # renamed studio: new documents say so
            issuer.name = studio.title[:120]
            issuer.save(update_fields=["name"])
        return issuer
    try:
        with transaction.atomic():
            issuer = Issuer.objects.create(
                studio=studio, slug=studio_slug(studio), name=studio.title[:120]
            )
    except IntegrityError:  # made meanwhile by another request
        issuer = Issuer.objects.get(studio=studio)
    forget_issuer_dids()
    return issuer


def issuers_for_schools(schools) -> dict:
    """{school id: issuer} for many schools with two queries in all."""
    org_issuers = list(
        Issuer.objects.filter(organisation__isnull=False).select_related("organisation")
    )
    platform = None
    out = {}
    for school in schools:
        best = None
        for issuer in org_issuers:
            path = issuer.organisation.path
            if school.path.startswith(path) and (
                best is None or len(path) > len(best.organisation.path)
            ):
                best = issuer
        if best is None:
            platform = platform or platform_issuer()
            best = platform
        out[school.pk] = best
    return out


def issuer_for_school(school) -> Issuer:
    """The nearest issuer at or above the school in the organisation tree,
    else the platform."""
    if school is not None:
        path = school.path
        steplen = type(school).steplen
        prefixes = [path[:n] for n in range(steplen, len(path) + 1, steplen)]
        found = (
            Issuer.objects.filter(organisation__path__in=prefixes)
            .select_related("organisation")
            .order_by("-organisation__depth")
            .first()
        )
        if found is not None:
            return found
    return platform_issuer()


# --- private keys ----------------------------------------------------------

_lock = threading.Lock()
_cache: dict[tuple[str, str], Ed25519PrivateKey] = {}


def _keys_file() -> Path | None:
    name = getattr(settings, "CREDENTIAL_KEYS_FILE", "")
    return Path(name) if name else None


def _load_secret_keys() -> dict:
    found: dict = {}
    path = _keys_file()
    if path is not None and path.exists():
        found.update(json.loads(path.read_text(encoding="utf-8")))
    inline = getattr(settings, "CREDENTIAL_KEYS", "")
    if inline:
        for slug, keys in json.loads(inline).items():
            found.setdefault(slug, {}).update(keys)
    return found


def private_key(key: IssuerKey) -> Ed25519PrivateKey:
    cache_key = (key.issuer.slug, key.key_id)
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    secret = _load_secret_keys().get(key.issuer.slug, {}).get(key.key_id)
    if not secret:
        raise SigningKeyMissing(
            f"no private key for {key.issuer.slug}#{key.key_id}: set CREDENTIAL_KEYS "
            "or CREDENTIAL_KEYS_FILE (see manage.py credential_key_generate)"
        )
    loaded = private_key_from_multibase(secret)
    if public_key_to_multibase(loaded.public_key()) != key.public_key_multibase:
        raise SigningKeyMissing(
            f"the private key for {key.issuer.slug}#{key.key_id} does not match "
            "its published public key"
        )
    _cache[cache_key] = loaded
    return loaded


def _store_secret(slug: str, key_id: str, secret: str) -> Path | None:
    """Add a key to the secret file (created 0600); None when there is none."""
    path = _keys_file()
    if path is None:
        return None
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        data.setdefault(slug, {})[key_id] = secret
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, path)
    return path


def key_generate(
    issuer: Issuer, *, store: bool = True
) -> tuple[IssuerKey, str, Path | None]:
    """Make a new active key for the issuer; the previous active key retires
    (it stays in the DID document). Returns the key, its secret multibase and
    the secret file it was written to (None if it must be put in place by hand)."""
    secret_key = generate_private_key()
    secret = private_key_to_multibase(secret_key)
    now = timezone.now()
    key_id = "key-" + now.strftime("%Y%m%d%H%M%S%f")
    path = _store_secret(issuer.slug, key_id, secret) if store else None
    with transaction.atomic():
        IssuerKey.objects.filter(issuer=issuer, status=IssuerKey.Status.ACTIVE).update(
            status=IssuerKey.Status.RETIRED, retired_at=now
        )
        key = IssuerKey.objects.create(
            issuer=issuer,
            key_id=key_id,
            public_key_multibase=public_key_to_multibase(secret_key.public_key()),
        )
    return key, secret, path


def active_key(issuer: Issuer) -> IssuerKey:
    """The issuer's signing key. Outside production (CREDENTIAL_AUTO_KEY) a key
    is made on first use and written to the secret file."""
    key = (
        IssuerKey.objects.select_related("issuer")
        .filter(issuer=issuer, status=IssuerKey.Status.ACTIVE)
        .first()
    )
    if key is None:
        # Studios are made by people at any time, so a studio's key is made on
        # its first endorsement wherever a secret file is configured
        # (CREDENTIAL_STUDIO_AUTO_KEY); organisations' keys are made by hand in
        # production.
        auto = getattr(settings, "CREDENTIAL_AUTO_KEY", False) or (
            issuer.is_studio and getattr(settings, "CREDENTIAL_STUDIO_AUTO_KEY", False)
        )
        if not auto or _keys_file() is None:
            raise SigningKeyMissing(
                f"issuer {issuer.slug} has no signing key: run "
                f"`manage.py credential_key_generate --issuer {issuer.slug}`"
            )
        try:
            key, _, _ = key_generate(issuer)
        except IntegrityError:  # another process made it first
            key = IssuerKey.objects.select_related("issuer").get(
                issuer=issuer, status=IssuerKey.Status.ACTIVE
            )
    return key
