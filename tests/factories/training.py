"""A complete instrument over the real JY/T 0646 framework, for tests."""

from training.models import Competency, Framework, Instrument
from training.services import instrument_load

LEVELS = [
    {"value": v, "name": name, "name_en": en, "description": f"{name}水平"}
    for v, name, en in [
        (1, "起步", "Emerging"),
        (2, "发展", "Developing"),
        (3, "胜任", "Proficient"),
        (4, "熟练", "Advanced"),
        (5, "引领", "Leading"),
    ]
]
SCORING = {
    "cut_points": [1.8, 2.6, 3.4, 4.2],
    "dimension_weights": {},
    "indicator_weights": {},
    "subdimension_weights": {},
}


def instrument_data(version: int = 1) -> dict:
    framework = Framework.objects.get(code="jyt0646-2022")
    indicators = framework.competencies.filter(level=Competency.Level.INDICATOR)
    return {
        "framework": "jyt0646-2022",
        "version": version,
        "title": "教师数字素养自我测评",
        "instructions": "请选择最接近您近一学期做法的一项。",
        "levels": LEVELS,
        "scoring": SCORING,
        "items": [
            {
                "indicator": ind.code,
                "prompt": f"关于“{ind.name}”，哪一项最符合您？",
                "levels": [f"{ind.code} 水平{v}的做法" for v in range(1, 6)],
            }
            for ind in indicators
        ],
    }


def make_instrument():
    """A new current version with predictable text ("3.3.2 水平2的做法"), on top
    of whatever version the migrations published."""
    latest = (
        Instrument.objects.filter(family="self-assessment").order_by("-version").first()
    )
    return instrument_load(data=instrument_data(latest.version + 1 if latest else 1))
