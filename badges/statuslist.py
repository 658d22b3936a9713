"""W3C Bitstring Status List: random slots, revocation bits, the signed list.

Bit ``i`` is bit ``7 - i % 8`` of byte ``i // 8`` (index 0 is the leftmost bit
of the first byte). ``encodedList`` is multibase base64url of the GZIP'd bytes.
"""

from __future__ import annotations

import datetime
import gzip
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import jsonld
from .models import STATUS_LIST_SIZE, Issuer, StatusList
from .multikey import multibase_b64url_decode, multibase_b64url_encode

# A list is left for a new one once this full, so random picks stay cheap and
# an index keeps saying little about issue order.
FILL_LIMIT = STATUS_LIST_SIZE // 2


def get_bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytearray, index: int) -> None:
    bits[index // 8] |= 0x80 >> (index % 8)


def encode_list(bits: bytes) -> str:
    return multibase_b64url_encode(gzip.compress(bytes(bits), mtime=0))


def decode_list(encoded: str) -> bytes:
    return gzip.decompress(multibase_b64url_decode(encoded))


def list_url(status_list: StatusList) -> str:
    path = reverse(
        "status_list",
        args=[status_list.issuer.slug, status_list.number],
    )
    return settings.SITE_BASE_URL.rstrip("/") + path


def _empty() -> bytes:
    return bytes(STATUS_LIST_SIZE // 8)


def allocate(issuer: Issuer, count: int) -> list[tuple[StatusList, int]]:
    """Reserve ``count`` random, never-used slots in the issuer's open list.

    Runs inside the caller's transaction and locks the list row, so two workers
    never get the same slot."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate() must run inside a transaction")
    slots: list[tuple[StatusList, int]] = []
    while len(slots) < count:
        status_list = (
            StatusList.objects.select_for_update()
            .filter(issuer=issuer, allocated_count__lt=FILL_LIMIT)
            .order_by("number")
            .first()
        )
        if status_list is None:
            last = StatusList.objects.filter(issuer=issuer).order_by("-number").first()
            status_list = StatusList.objects.create(
                issuer=issuer,
                number=(last.number + 1) if last else 1,
                allocated=_empty(),
                revoked=_empty(),
            )
            status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
        bits = bytearray(status_list.allocated)
        room = FILL_LIMIT - status_list.allocated_count
        take = min(room, count - len(slots))
        for _ in range(take):
            while True:
                index = secrets.randbelow(STATUS_LIST_SIZE)
                if not get_bit(bits, index):
                    break
            set_bit(bits, index)
            slots.append((status_list, index))
        status_list.allocated = bytes(bits)
        status_list.allocated_count += take
        status_list.save(update_fields=["allocated", "allocated_count"])
    return slots


def revoke_slot(status_list_id: int, index: int) -> None:
    """Set the revocation bit (inside the caller's transaction)."""
    status_list = StatusList.objects.select_for_update().get(pk=status_list_id)
    bits = bytearray(status_list.revoked)
    if get_bit(bits, index):
        return
    set_bit(bits, index)
    status_list.revoked = bytes(bits)
    status_list.version += 1
    status_list.save(update_fields=["revoked", "version"])


def is_revoked(status_list: StatusList, index: int) -> bool:
    return get_bit(bytes(status_list.revoked), index)


def status_entry(status_list: StatusList, index: int) -> dict:
    url = list_url(status_list)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def signed_list(status_list: StatusList) -> dict:
    """The list as a signed BitstringStatusListCredential, re-signed only when
    a bit has changed since it was last signed."""
    if status_list.signed and status_list.signed_version == status_list.version:
        return status_list.signed
    from . import keys, proofs

    issuer = status_list.issuer
    key = keys.active_key(issuer)
    url = list_url(status_list)
    now = timezone.now().replace(microsecond=0)
    document = {
        "@context": [jsonld.VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": keys.issuer_did(issuer),
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bytes(status_list.revoked)),
        },
    }
    signed = proofs.sign(
        document, keys.private_key(key), keys.verification_method_id(key), _iso(now)
    )
    StatusList.objects.filter(pk=status_list.pk, version=status_list.version).update(
        signed=signed, signed_version=status_list.version
    )
    return signed


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
