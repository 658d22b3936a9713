"""Publish version 1 of the self-assessment from training/data/instrument-v1.json
(one item per JY/T 0646 indicator, five level descriptors each)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "instrument-v1.json"


def load(apps, schema_editor):
    Framework = apps.get_model("training", "Framework")
    Competency = apps.get_model("training", "Competency")
    Instrument = apps.get_model("training", "Instrument")
    InstrumentItem = apps.get_model("training", "InstrumentItem")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    if Instrument.objects.filter(
        family="self-assessment", version=data["version"]
    ).exists():
        return
    framework = Framework.objects.get(code=data["framework"])
    indicators = {
        c.code: c for c in Competency.objects.filter(framework=framework, level=3)
    }
    Instrument.objects.filter(family="self-assessment").update(is_current=False)
    instrument = Instrument.objects.create(
        framework=framework,
        family="self-assessment",
        version=data["version"],
        title=data["title"],
        instructions=data["instructions"],
        levels=data["levels"],
        scoring=data["scoring"],
        is_current=True,
    )
    InstrumentItem.objects.bulk_create(
        InstrumentItem(
            instrument=instrument,
            indicator=indicators[item["indicator"]],
            position=position,
            prompt=item["prompt"],
            descriptors=item["levels"],
        )
        for position, item in enumerate(data["items"], start=1)
    )


def unload(apps, schema_editor):
    apps.get_model("training", "Instrument").objects.filter(
        family="self-assessment", version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0002_load_jyt0646_framework")]
    operations = [migrations.RunPython(load, unload)]
