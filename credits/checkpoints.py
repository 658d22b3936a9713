"""Signed ledger checkpoints: the chain anchored outside the database.

A checkpoint is a small JSON file naming a ledger position (seq) and the hash
of the record there, signed with the platform's Ed25519 credential key (the
badges key machinery; the private key is never in the database). Files go to
LEDGER_CHECKPOINT_DIR, a directory the database role cannot write (a mounted
volume, or object storage synced from it), and are written once: created
exclusively, then made read-only; an existing file is never replaced.

`ledger_verify` reads every checkpoint, checks its signature, and reports a
ledger that no longer reaches a checkpoint (a rollback past it, e.g. a cut tail
with a replayed head) or whose record there has another hash."""

from __future__ import annotations

import datetime
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from badges.multikey import (
    MultibaseError,
    multibase_b58_decode,
    multibase_b58_encode,
    public_key_from_multibase,
    public_key_to_multibase,
    verify_signature,
)

log = logging.getLogger(__name__)
PREFIX = "ledger-checkpoint-"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    name: str
    written_at: str


class CheckpointError(Exception):
    """A checkpoint file that cannot be trusted (bad signature, unknown key)."""


def checkpoint_dir() -> Path:
    return Path(settings.LEDGER_CHECKPOINT_DIR)


def _message(seq: int, hash_: str, written_at: str, key_id: str) -> bytes:
    payload = {
        "type": "tdl-ledger-checkpoint",
        "seq": seq,
        "hash": hash_,
        "written_at": written_at,
        "key": key_id,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _platform_key():
    from badges import keys

    key = keys.active_key(keys.platform_issuer())
    return key, keys.private_key(key)


def _trusted_public_keys() -> dict[str, set[str]]:
    """{key id: public multibases} of the platform issuer: those derived from
    the private keys an operator provides (outside the database) and those
    the database lists."""
    from badges import keys
    from badges.models import IssuerKey

    trusted: dict[str, set[str]] = {}
    secrets = keys._load_secret_keys().get(keys.PLATFORM_SLUG, {})
    from badges.multikey import private_key_from_multibase

    for key_id, secret in secrets.items():
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


def checkpoint_write(*, now: datetime.datetime | None = None) -> Path | None:
    """Write a checkpoint of the current head; None when the head has not
    moved since the last one (its file exists already) or the ledger is empty."""
    from .models import LedgerHead

    head = LedgerHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PREFIX}{head.seq:012d}.json"
    if path.exists():
        return None
    key, secret = _platform_key()
    written_at = (now or datetime.datetime.now(datetime.UTC)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    signature = secret.sign(_message(head.seq, head.hash, written_at, key.key_id))
    body = {
        "type": "tdl-ledger-checkpoint",
        "seq": head.seq,
        "hash": head.hash,
        "written_at": written_at,
        "key": key.key_id,
        "public_key": key.public_key_multibase,
        "signature": multibase_b58_encode(signature),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError:
        return None  # written by a concurrent run; never replaced
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    log.info("ledger checkpoint written: seq %s -> %s", head.seq, path)
    return path


def checkpoints_read() -> list[Checkpoint]:
    """Every checkpoint in the directory, signature-checked, oldest first.
    Raises CheckpointError naming the first file that cannot be trusted."""
    directory = checkpoint_dir()
    if not directory.is_dir():
        return []
    trusted = _trusted_public_keys()
    found = []
    for path in sorted(directory.glob(f"{PREFIX}*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            seq, hash_ = int(body["seq"]), str(body["hash"])
            written_at, key_id = str(body["written_at"]), str(body["key"])
            public = str(body["public_key"])
            signature = multibase_b58_decode(body["signature"])
        except (OSError, ValueError, KeyError, TypeError, MultibaseError) as exc:
            raise CheckpointError(
                f"checkpoint {path.name} cannot be read: {exc}"
            ) from None
        if public not in trusted.get(key_id, set()):
            raise CheckpointError(
                f"checkpoint {path.name} is signed with {key_id}, "
                "which is not one of the platform's keys"
            )
        if not verify_signature(
            public_key_from_multibase(public),
            signature,
            _message(seq, hash_, written_at, key_id),
        ):
            raise CheckpointError(
                f"checkpoint {path.name} does not match its signature: "
                "the file was changed"
            )
        found.append(Checkpoint(seq, hash_, path.name, written_at))
    return found
