"""The ledger: valued by the rules in force, idempotent under concurrency,
append-only in the database, and tamper-evident."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from credits import services
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.signals import credit_recorded
from tests.embedded import assert_passes_on_sqlite
from tests.factories import TeacherFactory

DAY = datetime.date(2026, 10, 1)
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="the append-only trigger is PostgreSQL's",
)


def append(
    teacher, key, hours="3", category="信息技术应用", kind="online_course", on=DAY
):
    return services.credit_record_append(
        teacher=teacher,
        kind=kind,
        category=category,
        source_type="courses.course",
        source_id="7",
        source_title="数据驱动的课堂教学",
        hours=Decimal(hours),
        earned_on=on,
        idempotency_key=key,
    )


@pytest.fixture
def rules(db):
    rule_set, _ = CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )
    return rule_set


@pytest.fixture
def teacher(db, rules):
    return TeacherFactory()


@pytest.mark.django_db
class TestValuation:
    def test_hours_convert_to_credits_by_the_rules(self, teacher):
        record = append(teacher, "c1", hours="12")
        assert (record.hours, record.credits) == (Decimal("12.0"), Decimal("1.20"))
        assert record.seq == 1 and record.prev_hash == "0" * 64

    def test_a_region_rule_in_force_on_the_day_earned_wins(self, teacher, rules):
        district = teacher.school.get_parent() or teacher.school
        CreditRuleSet.objects.create(
            region=teacher.school,
            name="本校 2026 秋起",
            effective_from=datetime.date(2026, 9, 1),
            config={**DEFAULT_CONFIG, "conversion": {"online_course": 0.5}},
        )
        before = append(teacher, "c1", hours="10", on=datetime.date(2026, 8, 31))
        after = append(teacher, "c2", hours="10", on=datetime.date(2026, 9, 1))
        assert before.credits == Decimal("1.00") and before.rule_set == rules
        assert (
            after.credits == Decimal("5.00") and after.rule_set.name == "本校 2026 秋起"
        )
        assert district is not None

    def test_annual_cap_per_category(self, teacher):
        first = append(teacher, "o1", hours="20", category="其他")
        second = append(teacher, "o2", hours="10", category="其他")
        next_year = append(
            teacher, "o3", hours="10", category="其他", on=datetime.date(2027, 3, 1)
        )
        assert first.hours == Decimal("20.0")
        assert (second.raw_hours, second.hours) == (Decimal("10.0"), Decimal("4.0"))
        assert "上限" in second.note
        assert next_year.hours == Decimal("10.0")

    def test_reversal_is_a_new_record(self, teacher):
        record = append(teacher, "c1", hours="6")
        reversal = services.credit_record_reverse(record=record, reason="重复登记")
        again = services.credit_record_reverse(record=record, reason="重复登记")
        assert reversal == again and reversal.hours == Decimal("-6.0")
        assert CreditRecord.objects.filter(teacher=teacher).count() == 2
        call_command("ledger_verify")


@pytest.mark.django_db
def test_the_same_key_credits_once_and_signals_once(
    teacher, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, record_id, **kwargs):
        received.append(record_id)

    credit_recorded.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = append(teacher, "course:7:teacher:1")
            second = append(teacher, "course:7:teacher:1")
    finally:
        credit_recorded.disconnect(receiver)
    assert first == second
    assert received == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_duplicate_completions_make_one_record(rules):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    teacher = TeacherFactory()
    other = TeacherFactory()
    barrier = threading.Barrier(50)
    errors = []

    def complete(n):
        try:
            barrier.wait()
            append(teacher, f"completion:course:7:teacher:{teacher.pk}")
            append(other, f"completion:other:{n}")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=complete, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1
    assert CreditRecord.objects.filter(teacher=other).count() == 50
    assert list(
        CreditRecord.objects.order_by("seq").values_list("seq", flat=True)
    ) == list(range(1, 52))
    call_command("ledger_verify")


@postgres_only
@pytest.mark.django_db
class TestAppendOnly:
    def test_the_database_refuses_updates_and_deletes(self, teacher):
        record = append(teacher, "c1")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            CreditRecord.objects.filter(pk=record.pk).update(hours=Decimal("99"))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM credits_creditrecord WHERE id = %s", [record.pk]
                )
        assert CreditRecord.objects.get(pk=record.pk).hours == Decimal("3.0")


def tamper(sql, params=()):
    """Change the table behind the application's back (as a DBA could)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
        cursor.execute("ALTER TABLE credits_creditrecord DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE credits_creditrecord ENABLE TRIGGER USER")


@postgres_only
@pytest.mark.django_db
class TestLedgerVerify:
    @pytest.fixture
    def ledger(self, teacher):
        return [append(teacher, f"k{n}", hours=str(n + 1)) for n in range(5)]

    def verify_fails(self, match):
        with pytest.raises(CommandError, match=match):
            call_command("ledger_verify")

    def test_intact_ledger_passes(self, ledger, capsys):
        call_command("ledger_verify")
        assert "OK, 5 records" in capsys.readouterr().out

    def test_changed_hours(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET hours = 40 WHERE id = %s", [ledger[2].pk]
        )
        self.verify_fails(rf"record id {ledger[2].pk}\).*seq 3 does not match its hash")

    def test_deleted_record(self, ledger):
        tamper("DELETE FROM credits_creditrecord WHERE id = %s", [ledger[1].pk])
        self.verify_fails(r"seq 2 is missing")

    def test_deleted_last_record(self, ledger):
        tamper("DELETE FROM credits_creditrecord WHERE id = %s", [ledger[4].pk])
        self.verify_fails(r"ends at seq 4 but its head says seq 5")

    def test_inserted_record(self, ledger, teacher):
        # Shift the tail up and slip a forged record in at seq 3.
        tamper("UPDATE credits_creditrecord SET seq = seq + 100 WHERE seq >= 3")
        tamper("UPDATE credits_creditrecord SET seq = seq - 99 WHERE seq >= 103")
        forged = ledger[2]
        tamper(
            "INSERT INTO credits_creditrecord (teacher_id, seq, idempotency_key, kind, category,"
            " source_type, source_id, source_title, raw_hours, hours, credits, earned_on,"
            " rule_set_id, recorded_at, note, prev_hash, hash) VALUES (%s, 3, 'forged',"
            " 'online_course', '学科', 'x', '', '伪造的培训', 50, 50, 5, %s, %s, now(), '', %s,"
            " %s)",
            [teacher.pk, DAY, forged.rule_set_id, ledger[1].hash, "f" * 64],
        )
        self.verify_fails(r"seq 3 does not match its hash")

    def test_a_microsecond_off_in_recorded_at(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET recorded_at = recorded_at"
            " + interval '1 microsecond' WHERE id = %s",
            [ledger[3].pk],
        )
        self.verify_fails(r"seq 4 does not match its hash")

    def test_the_same_day_a_year_bc(self, ledger):
        # PostgreSQL would print both days alike; the walk must still see it.
        tamper(
            "UPDATE credits_creditrecord SET earned_on = make_date("
            "-extract(year FROM earned_on)::int, extract(month FROM earned_on)::int,"
            " extract(day FROM earned_on)::int) WHERE id = %s",
            [ledger[2].pk],
        )
        self.verify_fails(r"seq 3 does not match its hash")

    def test_recorded_at_the_same_moment_a_year_bc(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET recorded_at = make_timestamptz("
            "-extract(year FROM recorded_at AT TIME ZONE 'UTC')::int,"
            " extract(month FROM recorded_at AT TIME ZONE 'UTC')::int,"
            " extract(day FROM recorded_at AT TIME ZONE 'UTC')::int,"
            " extract(hour FROM recorded_at AT TIME ZONE 'UTC')::int,"
            " extract(minute FROM recorded_at AT TIME ZONE 'UTC')::int,"
            " extract(second FROM recorded_at AT TIME ZONE 'UTC'), 'UTC') WHERE id = %s",
            [ledger[1].pk],
        )
        self.verify_fails(r"seq 2 does not match its hash")

    def test_earned_on_infinity(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET earned_on = 'infinity' WHERE id = %s",
            [ledger[4].pk],
        )
        self.verify_fails(r"seq 5 does not match its hash")

    def test_changed_note(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET note = 'x' WHERE id = %s", [ledger[0].pk]
        )
        self.verify_fails(r"seq 1 does not match its hash")

    def test_a_record_slipped_in_before_the_first(self, ledger, teacher):
        tamper(
            "INSERT INTO credits_creditrecord (teacher_id, seq, idempotency_key, kind, category,"
            " source_type, source_id, source_title, raw_hours, hours, credits, earned_on,"
            " rule_set_id, recorded_at, note, prev_hash, hash) VALUES (%s, 0, 'forged',"
            " 'online_course', '学科', 'x', '', '伪造的培训', 50, 50, 5, %s, %s, now(), '', %s,"
            " %s)",
            [teacher.pk, DAY, ledger[0].rule_set_id, "0" * 64, "f" * 64],
        )
        self.verify_fails(r"seq 1 is missing \(the next record found is seq 0\)")

    def test_passes_whatever_the_session_time_zone(self, ledger, capsys):
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Asia/Shanghai'")
        call_command("ledger_verify")
        assert "OK, 5 records" in capsys.readouterr().out

    def test_the_fast_digest_hashes_the_same_bytes(self, ledger, teacher):
        """ledger_verify hashes rows of text; every kind of value (quotes,
        backslashes, control characters, non-BMP text, empty and null
        columns, a reversal) gives the hash the ledger wrote."""
        from credits.ledger import VERIFY_SQL_COLUMNS, record_digest, row_digester

        odd = services.credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="信息技术应用",
            source_type='a"b\\c',
            source_id="",
            source_title="标题\n\t\x01 \u2028 😀 </script>",
            hours=Decimal("0.5"),
            earned_on=datetime.date(2024, 2, 29),
            idempotency_key='odd:"key"',
        )
        services.credit_record_reverse(record=odd, reason='重复 "引号" \\')
        digest = row_digester()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(VERIFY_SQL_COLUMNS)} FROM credits_creditrecord"  # noqa: S608
                " ORDER BY seq"
            )
            rows = cursor.fetchall()
        records = list(CreditRecord.objects.order_by("seq"))
        assert len(rows) == len(records) == 7
        assert any(r.reverses_id for r in records)
        for row, record in zip(rows, records, strict=True):
            assert digest(row) == record_digest(record) == record.hash

    def test_reordered_records(self, ledger):
        tamper(
            "UPDATE credits_creditrecord SET seq = 100 WHERE id = %s", [ledger[1].pk]
        )
        tamper("UPDATE credits_creditrecord SET seq = 2 WHERE id = %s", [ledger[2].pk])
        tamper("UPDATE credits_creditrecord SET seq = 3 WHERE id = %s", [ledger[1].pk])
        self.verify_fails(r"seq 2 does not follow the record before it")


@pytest.mark.django_db
def test_a_rule_set_with_a_broken_config_is_refused():
    from django.core.exceptions import ValidationError

    broken = CreditRuleSet(
        name="坏规则",
        effective_from=DAY,
        config={"conversion": {"flying": 1}, "cycle": {"years": 5}},
    )
    with pytest.raises(ValidationError) as exc:
        broken.full_clean()
    text = str(exc.value)
    assert "flying" in text and "cycle 需要" in text
    CreditRuleSet(name="好规则", effective_from=DAY, config=DEFAULT_CONFIG).full_clean()


@pytest.mark.django_db
def test_yearly_totals_follow_the_ledger_and_can_be_rebuilt(teacher):
    from credits.models import CreditYearTotal

    append(teacher, "y1", hours="10")
    append(teacher, "y2", hours="5", on=datetime.date(2027, 1, 5))
    record = append(teacher, "y3", hours="4")
    services.credit_record_reverse(record=record, reason="重复")
    totals = dict(
        CreditYearTotal.objects.filter(teacher=teacher).values_list("year", "hours")
    )
    assert totals == {2026: Decimal("10.0"), 2027: Decimal("5.0")}
    CreditYearTotal.objects.all().delete()
    services.credit_totals_rebuild()
    rebuilt = dict(
        CreditYearTotal.objects.filter(teacher=teacher).values_list("year", "hours")
    )
    assert rebuilt == totals


@pytest.mark.django_db(transaction=True)
def test_ledger_verify_behind_pgbouncer_walks_in_chunks(rules, monkeypatch):
    """Without server-side cursors (DATABASE_POOLER=pgbouncer) the walk reads
    the records in chunks by seq, in one snapshot, and the chain verifies."""
    from credits.management.commands import ledger_verify

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    teacher = TeacherFactory()
    for n in range(7):
        append(teacher, f"chunk:{n}", hours="1")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    monkeypatch.setattr(ledger_verify, "CHUNK", 3)
    call_command("ledger_verify")
    rows = list(ledger_verify._rows_by_seq())
    assert [row[1] for row in rows] == list(range(1, 8))


@pytest.mark.django_db
def test_ledger_verify_on_the_database_in_use(capsys):
    """PostgreSQL reads the records as text rows; the embedded SQLite of
    `make run` through the ORM. Both accept an intact ledger; on SQLite (no
    append-only trigger there) a record changed behind the ledger's back is
    named."""
    teacher = TeacherFactory()
    for n in range(3):
        append(teacher, f"any-db-{n}", hours=str(n + 1))
    call_command("ledger_verify")
    assert "OK, 3 records" in capsys.readouterr().out
    if connection.vendor == "sqlite":
        changed = CreditRecord.objects.order_by("seq")[1]
        CreditRecord.objects.filter(pk=changed.pk).update(source_title="改过的标题")
        with pytest.raises(CommandError, match=f"record id {changed.pk}"):
            call_command("ledger_verify")


def test_ledger_verify_on_the_embedded_database_too(tmp_path):
    """The test above, run again on SQLite (`make run`'s database)."""
    assert_passes_on_sqlite(
        tmp_path, f"{__file__}::test_ledger_verify_on_the_database_in_use"
    )
