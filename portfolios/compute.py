"""How a portrait is computed, for everyone at once (set-based).

Sources and weights (also shown to teachers at /portrait/method/):

- Self-view: her latest self-assessment (``AssessmentResult.is_latest``), the
  dimension and indicator scores (1-5) exactly as scored.
- Evidence: reviews of her artefacts. For each indicator, the level given in the
  most recent completed review that rated it counts (older ratings of the same
  indicator are superseded); a dimension's evidence score is the plain mean of its
  rated indicators. Indicators nobody rated do not count as zero: they are absent.
- Credits: hours this cycle from the ledger's yearly totals, under the rule set in
  force for her school today; ``credits_behind`` uses the same test as the HR
  compliance list (under the yearly minimum this year, or under the minimum for
  the cycle's past years).
- Credentials: her badges that are not revoked. Goals: those not yet achieved.

A run reads each source once per chunk of 5,000 teachers and writes the chunk
with one upsert, so 20,000 teachers take a handful of queries per chunk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone

from cms.accounts.models import Organisation, TeacherProfile

CHUNK = 5000


def dimension_of(code: str) -> str:
    return code.split(".", 1)[0]


def evidence_levels(reviews) -> dict[int, dict[str, int]]:
    """{teacher id: {indicator code: level}} from (teacher, levels, reviewed_at)
    rows, the newest rating of each indicator winning."""
    latest: dict[int, dict[str, tuple]] = defaultdict(dict)
    for teacher_id, levels, reviewed_at in reviews:
        for code, level in (levels or {}).items():
            seen = latest[teacher_id].get(code)
            if seen is None or reviewed_at > seen[1]:
                latest[teacher_id][code] = (int(level), reviewed_at)
    return {t: {c: v[0] for c, v in codes.items()} for t, codes in latest.items()}


def dimension_means(levels: dict[str, int]) -> dict[str, str]:
    sums: dict[str, list[int]] = defaultdict(list)
    for code, level in levels.items():
        sums[dimension_of(code)].append(level)
    return {
        dim: str((Decimal(sum(v)) / len(v)).quantize(Decimal("0.01")))
        for dim, v in sorted(sums.items())
    }


def _cycle_rules(school_ids, on):
    from credits.selectors import cycle_rule

    rules = {}
    schools = Organisation.objects.in_bulk(school_ids)
    for school_id, school in schools.items():
        rules[school_id] = cycle_rule(school=school, on=on)
    return rules


def portraits_recompute(
    *, teacher_ids=None, on: datetime.date | None = None, on_chunk=None
) -> int:
    from badges.selectors import badge_counts_for
    from credits.selectors import year_hours_for
    from training.selectors import results_of

    from .models import EvidenceReview, Goal, Portrait

    on = on or timezone.localdate()
    now = timezone.now()
    teachers = TeacherProfile.objects.order_by("id")
    if teacher_ids is not None:
        teachers = teachers.filter(id__in=teacher_ids)
    rows = list(teachers.values_list("id", "school_id"))
    rules = _cycle_rules({s for _, s in rows}, on)
    done = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = [t for t, _ in chunk]
        latest = {
            t: (scores, when)
            for t, scores, when in results_of(teacher_ids=ids)
            .filter(is_latest=True)
            .values_list("teacher_id", "scores", "submitted_at")
        }
        counts = dict(
            results_of(teacher_ids=ids)
            .values("teacher_id")
            .annotate(n=Count("id"))
            .values_list("teacher_id", "n")
        )
        evidence = evidence_levels(
            EvidenceReview.objects.filter(
                evidence__teacher_id__in=ids, status=EvidenceReview.Status.DONE
            )
            .annotate(at=Coalesce("reviewed_at", "requested_at"))
            .values_list("evidence__teacher_id", "levels", "at")
        )
        review_counts = dict(
            EvidenceReview.objects.filter(
                evidence__teacher_id__in=ids, status=EvidenceReview.Status.DONE
            )
            .values("evidence__teacher_id")
            .annotate(n=Count("id"))
            .values_list("evidence__teacher_id", "n")
        )
        first_year = min((r[0] for r in rules.values()), default=on.year)
        totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for t, year, hours in year_hours_for(teacher_ids=ids, first_year=first_year):
            totals[t][year] = hours
        credentials = badge_counts_for(teacher_ids=ids)
        goals = dict(
            Goal.objects.filter(teacher_id__in=ids, achieved_at__isnull=True)
            .values("teacher_id")
            .annotate(n=Count("id"))
            .values_list("teacher_id", "n")
        )
        portraits = []
        for teacher_id, school_id in chunk:
            first, last, minimum = rules[school_id]
            years = totals.get(teacher_id, {})
            cycle_hours = sum(
                (h for y, h in years.items() if first <= y <= last), Decimal(0)
            )
            behind = years.get(
                on.year, Decimal(0)
            ) < minimum or cycle_hours < minimum * (on.year - first)
            scores, assessed_at = latest.get(teacher_id, (None, None))
            portraits.append(
                Portrait(
                    teacher_id=teacher_id,
                    self_dimensions={
                        c: v["score"]
                        for c, v in (scores or {}).get("dimensions", {}).items()
                    },
                    self_indicators={
                        c: v["score"]
                        for c, v in (scores or {}).get("indicators", {}).items()
                    },
                    evidence_dimensions=dimension_means(evidence.get(teacher_id, {})),
                    evidence_reviews=review_counts.get(teacher_id, 0),
                    assessed_at=assessed_at,
                    assessments=counts.get(teacher_id, 0),
                    cycle_hours=cycle_hours,
                    credits_behind=behind,
                    credentials=credentials.get(teacher_id, 0),
                    goals_open=goals.get(teacher_id, 0),
                    computed_at=now,
                )
            )
        Portrait.objects.bulk_create(
            portraits,
            update_conflicts=True,
            unique_fields=["teacher"],
            update_fields=[
                "self_dimensions",
                "self_indicators",
                "evidence_dimensions",
                "evidence_reviews",
                "assessed_at",
                "assessments",
                "cycle_hours",
                "credits_behind",
                "credentials",
                "goals_open",
                "computed_at",
            ],
        )
        done += len(portraits)
        if on_chunk is not None:
            on_chunk(done)
    # Each chunk's upsert bumped the portraits' version (models.PORTRAITS_VERSION):
    # the 驾驶舱 counts the new rows at once.
    return done


def portraits_run(run_id: int | None = None) -> int:
    """A full recompute as a tracked job (see cms/shared/jobs.py): claimed, with a
    heartbeat per chunk, done or failed with the reason."""
    from django.utils import timezone

    from cms.shared import jobs

    from .models import PortraitRun

    if run_id is None:
        run_id = PortraitRun.objects.create(heartbeat_at=timezone.now()).pk
    if not jobs.job_claim(jobs.PORTRAITS, run_id):
        return 0
    try:
        count = portraits_recompute(
            on_chunk=lambda n: jobs.job_beat(jobs.PORTRAITS, run_id, portraits=n)
        )
    except Exception as exc:
        jobs.job_fail(jobs.PORTRAITS, run_id, str(exc) or type(exc).__name__)
        raise
    PortraitRun.objects.filter(pk=run_id).update(
        status=PortraitRun.Status.DONE, portraits=count, finished_at=timezone.now()
    )
    return count
