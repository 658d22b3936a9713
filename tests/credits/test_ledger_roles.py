"""Under the app role production connects as (cms/dbroles.py), the ledger
can be appended to and verified, but not rewritten: UPDATE, DELETE and
TRUNCATE are refused by privilege (before any trigger), and the trigger cannot
be switched off (ALTER TABLE ... DISABLE TRIGGER needs the owner,
session_replication_role a superuser)."""

import contextlib
import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from cms.dbroles import roles_sql
from credits import services
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from tests.factories import TeacherFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL roles"),
]


@contextlib.contextmanager
def as_app_role():
    """Create the app role in the test database (inside the test's
    transaction, so it leaves nothing behind) and act as it."""
    app = f"tdl_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        for statement in roles_sql(
            database=connection.settings_dict["NAME"],
            owner=owner,
            app=app,
            transfer_ownership=False,
            create_owner=False,
        ):
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'SET ROLE "{app}"')
    yield app
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def refused(sql, match, params=None):
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def append(teacher, key):
    return services.credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="信息技术应用",
        source_type="courses.course",
        source_title="数据驱动的课堂教学",
        hours=Decimal("3"),
        earned_on=datetime.date(2026, 10, 1),
        idempotency_key=key,
    )


def test_the_app_role_appends_but_cannot_rewrite_the_ledger(settings, tmp_path):
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "默认", "config": DEFAULT_CONFIG},
    )
    teacher = TeacherFactory()
    first = append(teacher, "before")
    with as_app_role():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            user, superuser = cursor.fetchone()
        assert user.startswith("tdl_app_") and not superuser

        # What the site does: append, and verify.
        second = append(teacher, "as-app")
        assert second.seq == first.seq + 1
        call_command("ledger_verify")

        # What it must not be able to do.
        refused(
            "UPDATE credits_creditrecord SET hours = 99 WHERE id = %s",
            "permission denied",
            [first.pk],
        )
        refused(
            "DELETE FROM credits_creditrecord WHERE id = %s",
            "permission denied",
            [first.pk],
        )
        refused("TRUNCATE credits_creditrecord CASCADE", "permission denied")
        refused("DELETE FROM credits_ledgerhead", "permission denied")
        refused(
            "ALTER TABLE credits_creditrecord DISABLE TRIGGER USER", "must be owner"
        )
        refused("SET session_replication_role = replica", "permission denied")
        assert CreditRecord.objects.get(pk=first.pk).hours == Decimal("3.0")
    call_command("ledger_verify")


def test_db_roles_prints_the_two_roles(capsys):
    call_command("db_roles", "--print", "--owner", "tdl_owner", "--app", "tdl_app")
    sql = capsys.readouterr().out
    assert 'CREATE ROLE "tdl_owner" LOGIN' in sql
    assert 'ALTER ROLE "tdl_app" LOGIN NOSUPERUSER' in sql
    assert (
        'REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON credits_creditrecord FROM "tdl_app"'
        in sql
    )
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "tdl_owner"' in sql
