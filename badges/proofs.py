"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa).

Signing: the proof options (without ``proofValue``, carrying the document's
``@context``) and the unsigned document are each canonicalised with RDFC-1.0 and
hashed with SHA-256; Ed25519 signs ``hash(options) || hash(document)``; the
64-byte signature becomes ``proofValue`` as base58btc multibase.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.utils.translation import gettext as _

from . import jsonld
from .multikey import (
    MultibaseError,
    multibase_b58_decode,
    multibase_b58_encode,
    verify_signature,
)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


class ProofError(ValueError):
    """The proof is malformed or does not match the document."""


def proof_options(document: dict, verification_method: str, created: str) -> dict:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }


_PROOF_HASHES: dict[str, bytes] = {}


def _proof_config_hash(config: dict) -> bytes:
    # Proof options differ between credentials only in ``created`` (and the key),
    # so the same few configurations recur; their hash is a pure function of
    # the JSON, which is the memo key.
    key = json.dumps(config, sort_keys=True, ensure_ascii=False)
    digest = _PROOF_HASHES.get(key)
    if digest is None:
        digest = hashlib.sha256(jsonld.canonize(config).encode("utf-8")).digest()
        if len(_PROOF_HASHES) > 10_000:
            _PROOF_HASHES.clear()
        _PROOF_HASHES[key] = digest
    return digest


# SHA-256 of the canonical form of documents verified with `remember=True`,
# by the digest of their JSON text (`_json_digest`). Canonicalisation (RDFC-1.0
# against the pinned contexts) is a pure function of the document and most of
# a verification's cost; the signature itself is still checked every time.
_DOCUMENT_HASHES: dict[bytes, bytes] = {}
MAX_REMEMBERED = 4096


def _json_digest(document: dict) -> bytes | None:
    """A digest naming `document` exactly: of its JSON text with sorted keys,
    when that text reads back as the same document (so a tuple, a key that is
    not a string or a value JSON cannot hold never shares another document's
    entry); None otherwise."""
    try:
        text = json.dumps(
            document,
            sort_keys=True,
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError):
        return None
    if json.loads(text) != document:
        return None
    return hashlib.sha256(text.encode("utf-8")).digest()


def _document_hash(unsigned: dict, remember: bool) -> bytes:
    key = _json_digest(unsigned) if remember else None
    if key is not None:
        digest = _DOCUMENT_HASHES.get(key)
        if digest is not None:
            return digest
    digest = hashlib.sha256(jsonld.canonize(unsigned).encode("utf-8")).digest()
    if key is not None:
        if len(_DOCUMENT_HASHES) >= MAX_REMEMBERED:
            _DOCUMENT_HASHES.clear()
        _DOCUMENT_HASHES[key] = digest
    return digest


def hash_data(unsigned: dict, options: dict, *, remember: bool = False) -> bytes:
    """SHA-256(canonical proof options) || SHA-256(canonical document).
    `remember`: keep the document's hash for the next verification of the very
    same document in this process (see `_DOCUMENT_HASHES`); off by default, so
    signing and the credential benchmarks canonicalise every time."""
    config = dict(options)
    config.pop("proofValue", None)
    config["@context"] = unsigned.get("@context")
    proof_hash = _proof_config_hash(config)
    return proof_hash + _document_hash(unsigned, remember)


def sign(
    document: dict,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    *,
    as_array: bool = True,
) -> dict:
    """A copy of ``document`` with a ``proof`` added: a one-element array, as
    the 1EdTech schemas want (``as_array=False`` gives the single object some
    published test vectors use; both are VC 2.0 and sign the same bytes)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = proof_options(unsigned, verification_method, created)
    signature = private_key.sign(hash_data(unsigned, options))
    proof = {**options, "proofValue": multibase_b58_encode(signature)}
    return {**unsigned, "proof": [proof] if as_array else proof}


def proof_of(document: dict) -> dict | None:
    """The single proof of a document, whichever form it is in."""
    proof = document.get("proof") if isinstance(document, dict) else None
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    return proof if isinstance(proof, dict) else None


@dataclass
class ProofParts:
    unsigned: dict
    proof: dict
    verification_method: str


def split_proof(document: dict) -> ProofParts:
    """Separate the single eddsa-rdfc-2022 proof from the document, checking its shape."""
    if not isinstance(document, dict):
        raise ProofError(_("证书不是一个 JSON 对象。"))
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ProofError(_("应当只有一个签名。"))
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError(_("证书没有签名。"))
    if proof.get("type") != PROOF_TYPE:
        raise ProofError(_("签名类型应为 %s。") % PROOF_TYPE)
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(_("签名算法应为 %s。") % CRYPTOSUITE)
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError(_("签名用途（proofPurpose）应为 assertionMethod。"))
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm:
        raise ProofError(_("签名没有注明所用密钥（verificationMethod）。"))
    if not isinstance(proof.get("proofValue"), str):
        raise ProofError(_("签名缺少签名值（proofValue）。"))
    if "@context" in proof and proof["@context"] != document.get("@context"):
        raise ProofError(_("签名的 @context 与证书不一致。"))
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return ProofParts(unsigned=unsigned, proof=proof, verification_method=vm)


def verify(
    parts: ProofParts, public_key: Ed25519PublicKey, *, remember: bool = False
) -> bool:
    """Whether the proof's signature holds for the document under
    `public_key` (`remember`: see `hash_data`)."""
    try:
        signature = multibase_b58_decode(parts.proof["proofValue"])
    except MultibaseError as exc:
        raise ProofError(_("签名值无法解码。")) from exc
    if len(signature) != 64:
        raise ProofError(_("签名值不是 64 字节的 Ed25519 签名。"))
    return verify_signature(
        public_key, signature, hash_data(parts.unsigned, parts.proof, remember=remember)
    )
