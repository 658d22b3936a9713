"""Load JY/T 0646-2022 《教师数字素养》 (5 dimensions, 13 sub-dimensions,
33 indicators) from training/data/jyt0646-2022.json."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "jyt0646-2022.json"


def sort_key(code):
    return ".".join(part.zfill(3) for part in code.split("."))


def load(apps, schema_editor):
    Framework = apps.get_model("training", "Framework")
    Competency = apps.get_model("training", "Competency")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    framework, _ = Framework.objects.update_or_create(
        code=data["code"],
        defaults={
            "name": data["name"],
            "standard_number": data["standard_number"],
            "publisher": data["publisher"],
            "issued": data["issued"],
            "source": data["source"],
        },
    )

    def add(nodes, parent, level):
        for node in nodes:
            competency, _ = Competency.objects.update_or_create(
                framework=framework,
                code=node["code"],
                defaults={
                    "parent": parent,
                    "level": level,
                    "name": node["name"],
                    "name_en": node.get("name_en", ""),
                    "description": node.get("description", ""),
                    "sort_key": sort_key(node["code"]),
                },
            )
            add(node.get("children", []), competency, level + 1)

    add(data["dimensions"], None, 1)


def unload(apps, schema_editor):
    apps.get_model("training", "Framework").objects.filter(code="jyt0646-2022").delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
