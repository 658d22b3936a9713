"""Export jobs get a heartbeat and an attempt count (for the job sweeper); the
ledger head gets its seal (an HMAC with the ledger key); on PostgreSQL,
TRUNCATE of the ledger is refused like UPDATE and DELETE, and the head row can
be updated but never deleted or truncated."""

from django.conf import settings
from django.db import migrations, models

NO_TRUNCATE = """
CREATE TRIGGER credits_creditrecord_no_truncate
    BEFORE TRUNCATE ON credits_creditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION credits_ledger_append_only();
CREATE TRIGGER credits_ledgerhead_keep
    BEFORE DELETE ON credits_ledgerhead
    FOR EACH ROW EXECUTE FUNCTION credits_ledger_append_only();
CREATE TRIGGER credits_ledgerhead_no_truncate
    BEFORE TRUNCATE ON credits_ledgerhead
    FOR EACH STATEMENT EXECUTE FUNCTION credits_ledger_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS credits_creditrecord_no_truncate ON credits_creditrecord;
DROP TRIGGER IF EXISTS credits_ledgerhead_keep ON credits_ledgerhead;
DROP TRIGGER IF EXISTS credits_ledgerhead_no_truncate ON credits_ledgerhead;
"""


def seal_head(apps, schema_editor):
    from credits.ledger import head_digest

    key = getattr(settings, "LEDGER_HASH_KEY", None)
    if not key:
        return  # sealed on the next append
    for head in apps.get_model("credits", "LedgerHead").objects.all():
        head.mac = head_digest(head.seq, head.hash)
        head.save(update_fields=["mac"])


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRUNCATE, params=None)


def untrigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("credits", "0007_private_storage")]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="exportjob",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ledgerhead",
            name="mac",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(seal_head, migrations.RunPython.noop),
        migrations.RunPython(trigger, untrigger),
    ]
