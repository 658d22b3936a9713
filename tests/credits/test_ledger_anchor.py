"""The ledger cannot be cut short unnoticed: TRUNCATE is refused, the head row
is sealed with the ledger key and cannot be deleted, and signed checkpoints
outside the database catch a rollback even with a replayed (valid) old head."""

import json
import os
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from credits.checkpoints import checkpoint_write, checkpoints_read
from credits.models import LedgerHead
from tests.credits.test_ledger import append, tamper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="the ledger triggers are PostgreSQL's",
    ),
]


@pytest.fixture
def checkpoint_dir(settings, tmp_path):
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


@pytest.fixture
def ledger(checkpoint_dir):
    import datetime

    from credits.models import CreditRuleSet
    from credits.rules import DEFAULT_CONFIG
    from tests.factories import TeacherFactory

    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )
    teacher = TeacherFactory()
    return [append(teacher, f"k{n}", hours=str(n + 1)) for n in range(5)]


def verify_fails(match):
    with pytest.raises(CommandError, match=match):
        call_command("ledger_verify")


def tamper_head(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE credits_ledgerhead DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE credits_ledgerhead ENABLE TRIGGER USER")


def test_truncate_and_deleting_the_head_are_refused(ledger):
    for sql in (
        "TRUNCATE credits_creditrecord CASCADE",
        "TRUNCATE credits_ledgerhead",
        "DELETE FROM credits_ledgerhead",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql)
    call_command("ledger_verify")


def test_cut_tail_and_rewritten_head_is_caught(ledger):
    tamper("DELETE FROM credits_creditrecord WHERE seq >= 4")
    tamper_head("UPDATE credits_ledgerhead SET seq = 3, hash = %s", [ledger[2].hash])
    verify_fails(r"head \(seq 3\) does not match its seal")


def test_cut_tail_and_deleted_head_is_caught(ledger):
    tamper("DELETE FROM credits_creditrecord WHERE seq >= 4")
    tamper_head("DELETE FROM credits_ledgerhead")
    verify_fails(r"head row is missing \(the chain ends at seq 3\)")


def test_cut_tail_with_a_replayed_old_head_is_caught_by_a_checkpoint(
    ledger, checkpoint_dir
):
    # The head as it was at seq 3 (sealed, valid): as a copy from a backup.
    old = LedgerHead.objects.get(pk=1)
    assert old.seq == 5
    call_command("ledger_checkpoint")  # the schedule anchors seq 5
    row_at_3 = (3, ledger[2].hash)
    from credits.ledger import head_digest

    tamper("DELETE FROM credits_creditrecord WHERE seq >= 4")
    tamper_head(
        "UPDATE credits_ledgerhead SET seq = %s, hash = %s, mac = %s",
        [*row_at_3, head_digest(*row_at_3)],
    )
    verify_fails(
        r"rolled back past signed checkpoint ledger-checkpoint-000000000005\.json "
        r"\(seq 5\): it now ends at seq 3"
    )


def test_without_the_checkpoint_a_replayed_head_would_pass(ledger):
    """Why checkpoints: the keyed head alone cannot tell an old head from a
    current one."""
    from credits.ledger import head_digest

    tamper("DELETE FROM credits_creditrecord WHERE seq >= 4")
    tamper_head(
        "UPDATE credits_ledgerhead SET seq = 3, hash = %s, mac = %s",
        [ledger[2].hash, head_digest(3, ledger[2].hash)],
    )
    call_command("ledger_verify")


def test_a_rewritten_record_at_a_checkpoint_is_named(ledger, checkpoint_dir):
    call_command("ledger_checkpoint")
    tamper("UPDATE credits_creditrecord SET hash = %s WHERE seq = 5", ["e" * 64])
    verify_fails(r"seq 5 does not match its hash")


def test_checkpoints_are_signed_write_once_and_checked(ledger, checkpoint_dir, capsys):
    first = checkpoint_write()
    assert first is not None and checkpoint_write() is None  # head unchanged
    assert not os.stat(first).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    body = json.loads(first.read_text())
    assert (body["seq"], body["hash"]) == (5, ledger[4].hash)
    assert [c.seq for c in checkpoints_read()] == [5]
    call_command("ledger_verify")
    assert "1 signed checkpoints" in capsys.readouterr().out

    # A checkpoint edited to pin an older position no longer verifies.
    forged = dict(body, seq=3, hash=ledger[2].hash)
    path = checkpoint_dir / "ledger-checkpoint-000000000003.json"
    path.write_text(json.dumps(forged))
    verify_fails(r"ledger-checkpoint-000000000003\.json does not match its signature")


def test_a_checkpoint_signed_with_a_stranger_key_is_refused(ledger, checkpoint_dir):
    from badges.multikey import (
        generate_private_key,
        multibase_b58_encode,
        public_key_to_multibase,
    )
    from credits.checkpoints import _message

    stranger = generate_private_key()
    message = _message(9, "a" * 64, "2026-01-01T00:00:00Z", "key-x")
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_dir / "ledger-checkpoint-000000000009.json").write_text(
        json.dumps(
            {
                "seq": 9,
                "hash": "a" * 64,
                "written_at": "2026-01-01T00:00:00Z",
                "key": "key-x",
                "public_key": public_key_to_multibase(stranger.public_key()),
                "signature": multibase_b58_encode(stranger.sign(message)),
            }
        )
    )
    verify_fails(r"signed with key-x, which is not one of the platform's keys")
