from django.db import migrations, models


def mark_latest(apps, schema_editor):
    Result = apps.get_model("training", "AssessmentResult")
    latest_ids = []
    seen = set()
    for pk, teacher_id in Result.objects.order_by("teacher_id", "-submitted_at", "-pk").values_list(
        "pk", "teacher_id"
    ):
        if teacher_id not in seen:
            seen.add(teacher_id)
            latest_ids.append(pk)
    for start in range(0, len(latest_ids), 5000):
        Result.objects.filter(pk__in=latest_ids[start : start + 5000]).update(is_latest=True)


class Migration(migrations.Migration):
    dependencies = [("training", "0003_load_instrument_v1")]

    operations = [
        migrations.AddField(
            model_name="assessmentresult",
            name="is_latest",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_latest, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="assessmentresult",
            name="is_latest",
            field=models.BooleanField(default=True),
        ),
        migrations.AddConstraint(
            model_name="assessmentresult",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_latest", True)),
                fields=("teacher",),
                name="one_latest_result_per_teacher",
            ),
        ),
    ]
