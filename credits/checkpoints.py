"""Signed ledger checkpoints: the chain anchored outside the database.

A checkpoint is a small JSON file naming a ledger position (seq) and the hash
of the record there, signed with the platform's Ed25519 credential key. The ledger sits below
the credentials app, so it does not import the key machinery: `badges`
registers a signer here when it starts (`register_signer`); the private key is
never in the database. Files go to
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Protocol

from django.conf import settings

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


class CheckpointSigner(Protocol):
    """What signs and checks checkpoints (the platform's credential key)."""

    def sign(self, message_for: Callable[[str], bytes]) -> dict:
        """Sign ``message_for(key id)`` with the active key: {"key": key id,
        "public_key": multibase, "signature": multibase}."""

    def checker(self) -> Callable[..., str | None]:
        """A function (key_id, public_key, signature, message keywords) that
        answers None when a signature is good and made with one of the
        platform's keys, else why not (a short English sentence)."""


_signer: CheckpointSigner | None = None


def register_signer(signer: CheckpointSigner) -> None:
    global _signer
    _signer = signer


def _the_signer() -> CheckpointSigner:
    if _signer is None:
        raise CheckpointError("no checkpoint signer is registered (badges)")
    return _signer


def _storage():
    """The object storage checkpoints go to (STORAGE_BACKEND=s3), or None for
    the LEDGER_CHECKPOINT_DIR directory. Either way one place for every node:
    beat hands the task to whichever worker is free."""
    from cms.shared.storage import checkpoint_storage

    return checkpoint_storage()


def checkpoint_location() -> str:
    """Where checkpoints are, for messages."""
    storage = _storage()
    if storage is None:
        return str(checkpoint_dir())
    bucket = getattr(storage, "bucket_name", "")
    location = getattr(storage, "location", "")
    return f"s3://{bucket}/{location}".rstrip("/")


def checkpoint_write(*, now: datetime.datetime | None = None) -> Path | str | None:
    """Write a checkpoint of the current head; None when the head has not
    moved since the last one (its file exists already) or the ledger is empty.
    Answers the file's path (a directory) or its name (object storage)."""
    from .models import LedgerHead

    head = LedgerHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return None
    name = f"{PREFIX}{head.seq:012d}.json"
    storage = _storage()
    if storage is not None:
        if storage.exists(name):
            return None
    else:
        directory = checkpoint_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        if path.exists():
            return None
    signer = _the_signer()
    written_at = (now or datetime.datetime.now(datetime.UTC)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    signed = signer.sign(
        lambda key_id: _message(head.seq, head.hash, written_at, key_id)
    )
    body = {
        "type": "tdl-ledger-checkpoint",
        "seq": head.seq,
        "hash": head.hash,
        "written_at": written_at,
        **signed,
    }
    if storage is not None:
        from django.core.files.base import ContentFile

        # Never replaced: a name taken meanwhile by a concurrent run makes the
        # storage pick another (file_overwrite off), an equally valid second
        # checkpoint of the same position. The bucket's retention lock or
        # versioning keeps anyone from rewriting one afterwards.
        saved = storage.save(
            name, ContentFile((json.dumps(body, indent=2) + "\n").encode())
        )
        log.info("ledger checkpoint written: seq %s -> %s", head.seq, saved)
        return saved
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
    storage = _storage()
    if storage is not None:
        _dirs, names = storage.listdir("")
        names = sorted(n for n in names if n.startswith(PREFIX) and n.endswith(".json"))

        def read(name: str) -> str:
            with storage.open(name, "rb") as fh:
                return fh.read().decode("utf-8")
    else:
        directory = checkpoint_dir()
        if not directory.is_dir():
            return []
        names = sorted(p.name for p in directory.glob(f"{PREFIX}*.json"))

        def read(name: str) -> str:
            return (directory / name).read_text(encoding="utf-8")

    problem_with = _the_signer().checker()
    found = []
    for name in names:
        path = PurePath(name)
        try:
            body = json.loads(read(name))
            seq, hash_ = int(body["seq"]), str(body["hash"])
            written_at, key_id = str(body["written_at"]), str(body["key"])
            public, signature = str(body["public_key"]), str(body["signature"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"checkpoint {path.name} cannot be read: {exc}"
            ) from None
        problem = problem_with(
            key_id=key_id,
            public_key=public,
            signature=signature,
            message=_message(seq, hash_, written_at, key_id),
        )
        if problem:
            raise CheckpointError(f"checkpoint {path.name} {problem}")
        found.append(Checkpoint(seq, hash_, path.name, written_at))
    return found
