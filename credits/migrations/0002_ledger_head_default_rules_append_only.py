"""The ledger head row, the platform's default credit rules, and on PostgreSQL a
trigger that refuses UPDATE and DELETE on credit records."""

import datetime

from django.db import migrations

from credits.rules import DEFAULT_CONFIG

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION credits_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the credit ledger is append-only: % on credits_creditrecord refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credits_creditrecord_append_only
    BEFORE UPDATE OR DELETE ON credits_creditrecord
    FOR EACH ROW EXECUTE FUNCTION credits_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS credits_creditrecord_append_only ON credits_creditrecord;
DROP FUNCTION IF EXISTS credits_ledger_append_only();
"""


def seed(apps, schema_editor):
    apps.get_model("credits", "LedgerHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )
    apps.get_model("credits", "CreditRuleSet").objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用：五年一周期 360 学时", "config": DEFAULT_CONFIG},
    )


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def untrigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial")]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(trigger, untrigger),
    ]
