"""Reads for frameworks and self-assessment results; they own query counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.fields.json import KT

from . import models
from .models import (
    AssessmentAttempt,
    AssessmentResult,
    Competency,
    Framework,
    Instrument,
    LearningResource,
)

MIN_GROUP_SIZE = 5


def framework_tree(*, framework: Framework) -> list[Competency]:
    """Dimensions with `.children` (sub-dimensions) and their `.children`
    (indicators) prefetched: three queries whatever the framework's size."""
    indicators = Competency.objects.filter(
        level=Competency.Level.INDICATOR
    ).select_related("framework")
    subs = (
        Competency.objects.filter(level=Competency.Level.SUBDIMENSION)
        .select_related("framework")
        .prefetch_related(Prefetch("children", queryset=indicators))
    )
    return list(
        framework.competencies.filter(level=Competency.Level.DIMENSION)
        .select_related("framework")
        .prefetch_related(Prefetch("children", queryset=subs))
    )


def competency_names(*, framework_id: int) -> dict[str, Competency]:
    rows = Competency.objects.filter(framework_id=framework_id).select_related(
        "framework", "parent"
    )
    return {c.code: c for c in rows}


def attempt_progress(*, attempt: AssessmentAttempt) -> dict:
    """Steps (one per dimension) with their items and the answers so far."""
    instrument = attempt.instrument
    items = list(
        instrument.items.select_related("indicator__parent__parent").order_by(
            "position"
        )
    )
    answers = dict(attempt.answers.values_list("item_id", "value"))
    steps: list[dict] = []
    for item in items:
        dimension = item.indicator.parent.parent
        if not steps or steps[-1]["dimension"].pk != dimension.pk:
            steps.append({"dimension": dimension, "items": []})
        item.answer = answers.get(item.pk)
        steps[-1]["items"].append(item)
    for number, step in enumerate(steps, start=1):
        step["number"] = number
        step["answered"] = sum(1 for item in step["items"] if item.answer)
    return {
        "steps": steps,
        "answered": len(answers),
        "total": len(items),
    }


def results_for(*, teacher) -> QuerySet[AssessmentResult]:
    return AssessmentResult.objects.filter(teacher=teacher).select_related("instrument")


def result_report(
    *, result: AssessmentResult, recommend: bool = True, previous=None
) -> dict:
    """Everything the report page and its PDF show, in a fixed number of queries.

    `recommend=False` leaves out the recommendations (the portrait makes its
    own from her goals and weakest indicators); `previous` is her result
    before this one when the caller already has it (False: she has none)."""
    instrument = result.instrument
    names = competency_names(framework_id=instrument.framework_id)
    items = {
        item.indicator.code: item
        for item in instrument.items.select_related("indicator").order_by("position")
    }
    if previous is None:
        previous = (
            AssessmentResult.objects.filter(
                teacher_id=result.teacher_id, submitted_at__lt=result.submitted_at
            )
            .order_by("-submitted_at")
            .first()
        )
    previous = previous or None
    prev_scores = previous.scores if previous else None
    levels = {level["value"]: level for level in instrument.levels}

    def delta(kind: str, code: str, score: str):
        if not prev_scores or code not in prev_scores.get(kind, {}):
            return None
        return Decimal(score) - Decimal(prev_scores[kind][code]["score"])

    dimensions = []
    for code, entry in result.scores["dimensions"].items():
        dimensions.append(
            {
                "code": code,
                "name": names[code].name,
                "score": Decimal(entry["score"]),
                "level": entry["level"],
                "level_name": levels[entry["level"]]["name"],
                "delta": delta("dimensions", code, entry["score"]),
                "previous": (
                    Decimal(prev_scores["dimensions"][code]["score"])
                    if prev_scores and code in prev_scores["dimensions"]
                    else None
                ),
            }
        )
    indicators = []
    for code, entry in result.scores["indicators"].items():
        item = items.get(code)
        level = entry["level"]
        next_level = level + 1 if level < 5 else None
        indicators.append(
            {
                "code": code,
                "name": names[code].name,
                "competency": names[code],
                "subdimension": names[names[code].parent.code].name
                if names[code].parent_id
                else "",
                "score": Decimal(entry["score"]),
                "level": level,
                "level_name": levels[level]["name"],
                "current_descriptor": item.descriptors[level - 1] if item else "",
                "next_level_name": levels[next_level]["name"] if next_level else "",
                "next_descriptor": item.descriptors[next_level - 1]
                if item and next_level
                else "",
                "delta": delta("indicators", code, entry["score"]),
            }
        )
    weakest = sorted(indicators, key=lambda row: (row["score"], row["code"]))[:3]
    return {
        "result": result,
        "instrument": instrument,
        "levels": instrument.levels,
        "overall_level_name": levels[result.overall_level]["name"],
        "dimensions": dimensions,
        "indicators": indicators,
        "weakest": weakest,
        "previous": previous,
        "recommendations": recommendations_for(
            indicator_ids=[row["competency"].pk for row in weakest],
            teacher_id=result.teacher_id,
        )
        if recommend
        else [],
    }


# Recommendations are composed above courses and studios (the recommendations
# app), which registers its function here at start-up: the self-assessment
# report asks for them without importing what is above it.
_recommender: Callable[..., list] | None = None


def recommender_register(func: Callable[..., list]) -> None:
    global _recommender
    _recommender = func


def recommendations_for(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 6
) -> list:
    """What to learn next for these indicators (see recommendations.selectors);
    nothing when no recommender is installed."""
    if _recommender is None or not indicator_ids:
        return []
    return _recommender(indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit)


def resource_kind_labels() -> dict[str, str]:
    """Labels of the kinds of learning the report recommends, in the active
    language."""
    return {kind.value: str(kind.label) for kind in LearningResource.Kind}


def resources_for_indicators(
    *, indicator_ids: list[int], limit: int, exclude_titles=()
) -> list:
    """Active curated resources with a link, aligned to the indicators, those
    covering more of them first. One without a link leads nowhere and is never
    offered."""
    if limit <= 0:
        return []
    return list(
        LearningResource.objects.filter(is_active=True, indicators__in=indicator_ids)
        .exclude(url="")
        .exclude(title__in=list(exclude_titles))
        .annotate(matches=Count("indicators"))
        .order_by("-matches", "kind", "title")
        .prefetch_related("indicators")[:limit]
    )


def latest_results_in(*, teachers: QuerySet) -> QuerySet[AssessmentResult]:
    """Each teacher's most recent result, for the given teachers."""
    return AssessmentResult.objects.filter(teacher__in=teachers, is_latest=True)


def level_distribution(*, teachers: QuerySet, framework: Framework) -> dict:
    """Counts of teachers per level per dimension over the latest results, by
    school, counted in the database.

    Schools with fewer than five assessed teachers are withheld (only their
    number is given) so that no one can be singled out."""
    dims = list(framework.competencies.filter(level=Competency.Level.DIMENSION))
    latest = latest_results_in(teachers=teachers).order_by()
    if connection.vendor == "postgresql":
        levels = {
            f"level_{i}": KT(f"scores__dimensions__{d.code}__level")
            for i, d in enumerate(dims)
        }
        # One scan: a row per school and combination of dimension levels.
        rows = (
            latest.values_list("teacher__school_id", "teacher__school__name")
            .annotate(**levels)
            .values_list("teacher__school_id", "teacher__school__name", *levels)
            .annotate(n=Count("id"))
        )
    else:
        # SQLite's JSON paths read the numeric dimension codes as array
        # indexes; the embedded default reads the levels out in Python.
        rows = (
            (school_id, name, *(s["dimensions"][d.code]["level"] for d in dims), 1)
            for school_id, name, s in latest.values_list(
                "teacher__school_id", "teacher__school__name", "scores"
            )
        )
    per_school: dict[int, dict] = {}
    overall: dict[str, Counter] = defaultdict(Counter)
    for school_id, name, *dim_levels, count in rows:
        school = per_school.setdefault(
            school_id, {"name": name, "count": 0, "dims": defaultdict(Counter)}
        )
        school["count"] += count
        for dim, level in zip(dims, dim_levels, strict=True):
            school["dims"][dim.code][int(level)] += count
            overall[dim.code][int(level)] += count
    total = sum(school["count"] for school in per_school.values())

    def table(counts: dict[str, Counter]) -> list[dict]:
        return [
            {
                "code": d.code,
                "name": d.name,
                "levels": [counts[d.code][v] for v in range(1, 6)],
            }
            for d in dims
        ]

    schools = []
    for school in sorted(per_school.values(), key=lambda s: s["name"]):
        row = {"name": school["name"], "count": school["count"]}
        row["hidden"] = school["count"] < MIN_GROUP_SIZE
        if not row["hidden"]:
            row["table"] = table(school["dims"])
        schools.append(row)
    return {
        "total": total,
        "hidden": total < MIN_GROUP_SIZE,
        "table": table(overall) if total >= MIN_GROUP_SIZE else [],
        "schools": schools,
        "withheld_schools": sum(1 for row in schools if row["hidden"]),
        "min_group_size": MIN_GROUP_SIZE,
    }


# Version of what shows the current instrument's levels (cached HR pages):
# bumped whenever an instrument is saved or deleted (training/apps.py).
INSTRUMENT_VERSION = "assessment-instrument"
# Version of what counts many teachers' results: bumped by any write to them.
RESULTS_VERSION = models.RESULTS_VERSION


def current_instrument() -> Instrument | None:
    return Instrument.objects.filter(is_current=True, family="self-assessment").first()


def level_names() -> list[str]:
    """The names of the current self-assessment instrument's levels, lowest first."""
    instrument = current_instrument()
    return [lv["name"] for lv in instrument.levels] if instrument else []


def framework_default() -> Framework | None:
    """The framework the platform reports against (JY/T 0646-2022)."""
    return Framework.objects.filter(code="jyt0646-2022").first()


# Reads for the apps above: the framework's competencies, results, resources.


def competencies(
    *,
    framework_code: str | None = None,
    framework_id: int | None = None,
    levels=None,
    codes=None,
) -> QuerySet[Competency]:
    """The framework's competencies: dimensions (level 1), sub-dimensions (2)
    and indicators (3), narrowed by framework, level and code."""
    rows = Competency.objects.all()
    if framework_code is not None:
        rows = rows.filter(framework__code=framework_code)
    if framework_id is not None:
        rows = rows.filter(framework_id=framework_id)
    if levels is not None:
        rows = rows.filter(level__in=list(levels))
    if codes is not None:
        rows = rows.filter(code__in=list(codes))
    return rows


DIMENSION = Competency.Level.DIMENSION
INDICATOR = Competency.Level.INDICATOR


def indicators(*, framework_code: str) -> QuerySet[Competency]:
    """The indicators of a framework, in the framework's order."""
    return competencies(framework_code=framework_code, levels=[INDICATOR]).order_by(
        "sort_key"
    )


def framework_by_code(code: str) -> Framework | None:
    return Framework.objects.filter(code=code).first()


def results_of(
    *, teacher=None, teacher_ids=None, teachers=None
) -> QuerySet[AssessmentResult]:
    """All results (not only the latest) of a teacher, or of teachers given by
    id or as a scoped queryset."""
    rows = AssessmentResult.objects.all()
    if teacher is not None:
        rows = rows.filter(teacher=teacher)
    if teacher_ids is not None:
        rows = rows.filter(teacher_id__in=teacher_ids)
    if teachers is not None:
        rows = rows.filter(teacher__in=teachers)
    return rows


def latest_result_of(*, teacher) -> AssessmentResult | None:
    """Her most recent result (by submission time)."""
    return (
        AssessmentResult.objects.filter(teacher=teacher)
        .order_by("-submitted_at")
        .first()
    )


def learning_resources_active() -> QuerySet[LearningResource]:
    return LearningResource.objects.filter(is_active=True).order_by("title")
