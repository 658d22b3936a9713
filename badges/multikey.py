"""Ed25519 keys as Multikey strings, and base58btc / base64url multibase.

A public key is published as ``publicKeyMultibase``: ``z`` + base58btc of the
multicodec prefix 0xed 0x01 followed by the 32 raw key bytes (so it always
starts ``z6Mk``). A private key travels as ``z`` + base58btc of 0x80 0x26 and
the 32-byte seed. Nothing here touches the network or the database.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


class MultibaseError(ValueError):
    """A multibase or multikey string could not be decoded."""


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    out = []
    while num:
        num, rem = divmod(num, 58)
        out.append(_B58[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    num = 0
    for ch in text:
        try:
            num = num * 58 + _B58_INDEX[ch]
        except KeyError:
            raise MultibaseError(f"not base58btc: {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def multibase_b58_encode(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_b58_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z") or len(text) < 2:
        raise MultibaseError("expected a base58btc multibase string starting with 'z'")
    return b58decode(text[1:])


def multibase_b64url_encode(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def multibase_b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("u"):
        raise MultibaseError("expected a base64url multibase string starting with 'u'")
    body = text[1:]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise MultibaseError("not base64url") from exc


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    raw = multibase_b58_decode(text)
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_PREFIX):
        raise MultibaseError("not an Ed25519 Multikey public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def public_key_to_multibase(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return multibase_b58_encode(ED25519_PUB_PREFIX + raw)


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    raw = multibase_b58_decode(text)
    if len(raw) != 34 or not raw.startswith(ED25519_PRIV_PREFIX):
        raise MultibaseError("not an Ed25519 Multikey secret key")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def private_key_to_multibase(key: Ed25519PrivateKey) -> str:
    seed = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return multibase_b58_encode(ED25519_PRIV_PREFIX + seed)


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
