"""Who vouches for an issuer: the issuer trust registry.

A good signature only says the credential is intact and was signed by the key
of the DID in ``issuer.id``; anyone can make a DID (a ``did:key`` costs
nothing) and write any name next to it. So verification answers a second,
separate question: is that DID one this platform recognises?

Recognised, in this order:

1. the platform's own ``did:web`` identity;
2. the issuing organisations registered on the platform (``Issuer`` rows with
   an organisation, e.g. a district's 教师发展中心), at their ``did:web`` ids,
   and the studios' issuers (``Issuer`` rows with a studio), which sign only
   their leaders' endorsements;
3. external issuers an admin has entered in the registry (``TrustedIssuer``,
   active), e.g. another province's credit bank.

Everything else is "签名有效，但签发方未经本平台认可", whatever name it gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import keys
from .models import Issuer, TrustedIssuer

PLATFORM = "platform"
ORGANISATION = "organisation"
REGISTRY = "registry"
STUDIO = "studio"

KIND_LABELS = {
    PLATFORM: _("本平台"),
    ORGANISATION: _("本平台登记的签发机构"),
    REGISTRY: _("管理员认可的外部签发方"),
    STUDIO: _("本平台的工作室"),
}


@dataclass(frozen=True)
class Trust:
    did: str | None
    recognised: bool
    kind: str | None = None  # PLATFORM, ORGANISATION or REGISTRY
    entry_name: str | None = None

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, "")

    @property
    def message(self) -> str:
        if self.recognised:
            return str(
                _("本平台认可的签发方：%(name)s（%(kind)s）")
                % {"name": self.entry_name, "kind": self.kind_label}
            )
        if self.did is None:
            return str(_("未能确定签发方。"))
        return str(_("签名有效，但签发方未经本平台认可。"))

    def as_dict(self) -> dict:
        return {
            "id": self.did,
            "recognised": self.recognised,
            "registry_entry": (
                {
                    "name": self.entry_name,
                    "kind": self.kind,
                    "kind_label": str(self.kind_label),
                }
                if self.recognised
                else None
            ),
            "message": self.message,
        }


def _ours(issuer: Issuer, did: str) -> Trust:
    """One of our issuers, recognised at its DID."""
    kind = (
        STUDIO if issuer.is_studio else PLATFORM if issuer.is_platform else ORGANISATION
    )
    return Trust(did, True, kind, issuer.name)


def _issuer_by_slug(slug: str) -> Issuer | None:
    """Our issuer with this slug, as last read: kept under the "content"
    version, which every save and delete of an issuer bumps
    (cms.shared.pagecache.SHARED_FOR_TEACHERS). Its keys and their status are
    not part of it: verification reads those live."""
    from cms.shared import pagecache

    return pagecache.cached(
        f"trust-issuer:{slug}",
        pagecache.CONTENT,
        lambda: Issuer.objects.filter(slug=slug).first(),
    )


class TrustRegistry:
    """Looks issuers up once per DID for the length of one verification (a
    CLR names the same issuer many times)."""

    def __init__(self):
        self._memo: dict[str, tuple[Trust, dict | None]] = {}

    def _find(self, did: str) -> tuple[Trust, dict | None]:
        found = self._memo.get(did)
        if found is not None:
            return found
        slug = keys.slug_for_did(did)
        result: tuple[Trust, dict | None] | None = None
        if slug is not None:
            issuer = _issuer_by_slug(slug)
            if issuer is not None and keys.issuer_did(issuer) == did:
                result = (_ours(issuer, did), None)
        if result is None:
            entry = (
                TrustedIssuer.objects.filter(did=did, active=True)
                .only("name", "did_document")
                .first()
            )
            if entry is not None:
                document = (
                    entry.did_document if isinstance(entry.did_document, dict) else None
                )
                result = (Trust(did, True, REGISTRY, entry.name), document)
        if result is None:
            result = (Trust(did, False), None)
        if len(self._memo) < 1000:
            self._memo[did] = result
        return result

    def knowing(self, issuer: Issuer) -> TrustRegistry:
        """This registry, told of an issuer row the caller has just read
        (a stored credential's own): its DID is then recognised without
        reading the row again, exactly as `_find` would (the DID's slug
        names this row, and slugs are unique). Any other DID is looked up
        as ever."""
        did = keys.issuer_did(issuer)
        if did not in self._memo and keys.slug_for_did(did) == issuer.slug:
            self._memo[did] = (_ours(issuer, did), None)
        return self

    def lookup(self, did: str | None) -> Trust:
        if not did:
            return Trust(None, False)
        return self._find(did)[0]

    def did_document(self, did: str | None) -> dict | None:
        """The DID document an admin pinned for a trusted external issuer,
        so its did:web key can be resolved offline."""
        if not did:
            return None
        return self._find(did)[1]
