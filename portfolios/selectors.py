"""What a portrait page shows, assembled in a fixed number of queries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.pageurls import share_site_root_paths
from cms.shared.radar import radar_svg
from credits import selectors as credit_selectors
from training import selectors as training_selectors
from training.framework import FRAMEWORK_CODE
from training.recommendations.selectors import recommendations_for
from training.selectors import current_instrument, result_report

from .compute import dimension_means, evidence_levels, portraits_recompute
from .models import Evidence, EvidenceReview, Goal, PortraitView

TIMELINE_PAGE = 40


def dimension_names(framework_id=None) -> dict[str, str]:
    rows = training_selectors.competencies(levels=[training_selectors.DIMENSION])
    if framework_id:
        rows = rows.filter(framework_id=framework_id)
    else:
        rows = rows.filter(framework__code=FRAMEWORK_CODE)
    return dict(rows.order_by("sort_key").values_list("code", "name"))


def live_portrait(
    teacher, latest, *, assessments: int | None = None
) -> SimpleNamespace:
    """The figures of her Portrait row, computed now (same rules as compute.py).
    `assessments`: her number of results, when the caller has counted them."""
    from badges.selectors import credentials_of

    reviews = list(
        EvidenceReview.objects.filter(
            evidence__teacher=teacher, status=EvidenceReview.Status.DONE
        ).values_list("levels", "reviewed_at", "requested_at")
    )
    levels = evidence_levels(
        (teacher.pk, lv, reviewed or requested) for lv, reviewed, requested in reviews
    ).get(teacher.pk, {})
    scores = latest.scores if latest else {}
    return SimpleNamespace(
        self_dimensions={
            c: v["score"] for c, v in scores.get("dimensions", {}).items()
        },
        self_indicators={
            c: v["score"] for c, v in scores.get("indicators", {}).items()
        },
        evidence_dimensions=dimension_means(levels),
        evidence_levels=levels,
        evidence_reviews=len(reviews),
        assessed_at=latest.submitted_at if latest else None,
        assessments=training_selectors.results_of(teacher=teacher).count()
        if assessments is None
        else assessments,
        credentials=credentials_of(teacher=teacher)
        .filter(kind="badge", revoked_at__isnull=True)
        .count(),
    )


def current_levels(portrait, report: dict | None) -> dict[str, int]:
    """Her present level per indicator: the self-assessed level, raised by a
    reviewer's rating when that is higher (evidence can show more than she claims)."""
    levels = {}
    if report:
        levels = {row["code"]: row["level"] for row in report["indicators"]}
    for code, level in portrait.evidence_levels.items():
        levels[code] = max(levels.get(code, 0), int(level))
    return levels


def goals_with_progress(teacher, levels: dict[str, int], goals=None) -> list[dict]:
    """Her goals with her present level; `goals` when the caller has read them
    (with their indicators and resources)."""
    out = []
    if goals is None:
        goals = (
            Goal.objects.filter(teacher=teacher)
            .select_related("indicator")
            .prefetch_related("resources")
        )
    for goal in goals:
        now = levels.get(goal.indicator.code, 0)
        out.append(
            {
                "goal": goal,
                "current": now,
                "percent": min(100, int(now * 100 / goal.target_level))
                if goal.target_level
                else 0,
                "met": now >= goal.target_level,
            }
        )
    return out


def _learning_moment(day):
    """A date as an aware datetime (noon, local time) to sort beside events
    that carry a time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def timeline(
    teacher, *, limit: int = TIMELINE_PAGE, results=None, goals=None
) -> list[dict]:
    """Her career on the platform, newest first: assessments, credits,
    credentials, goals, evidence and reviews, roles. `results` (newest first)
    and `goals` are hers when the caller has already read them all."""
    from badges.selectors import credentials_of
    from cms.accounts.models import RoleAssignment
    from credits.selectors import records_for

    events = []
    if results is None:
        results = training_selectors.results_of(teacher=teacher).order_by(
            "-submitted_at"
        )
    for r in results[:limit]:
        events.append(
            {
                "when": r.submitted_at,
                "kind": "assessment",
                "title": _("完成数字素养自我测评"),
                "detail": _("总体 %(score)s") % {"score": r.overall_score},
                "url": reverse("assessment_result", args=[r.pk]),
            }
        )
    credit_records = list(
        records_for(teacher=teacher)
        .filter(reverses__isnull=True)
        .order_by("-seq")[:limit]
    )
    origins = credit_selectors.record_origins(credit_records)
    for rec in credit_records:
        events.append(
            {
                # When the learning happened, not when it reached the ledger.
                "when": _learning_moment(rec.earned_on),
                "kind": "credit",
                "title": rec.source_title,
                "detail": _("%(hours)s 学时") % {"hours": rec.hours}
                + " · "
                + (
                    _("来源：%(origin)s") % {"origin": origins[rec.pk]}
                    if rec.pk in origins
                    else _("来源：本平台")
                ),
                "url": "",
            }
        )
    for c in (
        credentials_of(teacher=teacher)
        .filter(kind="badge")
        .select_related("record")
        .order_by("-issued_at")[:limit]
    ):
        # A credential sits on the timeline where its learning happened; the
        # day it was signed is part of the detail.
        issued = timezone.localtime(c.issued_at).date().isoformat()
        events.append(
            {
                "when": _learning_moment(c.record.earned_on)
                if c.record_id
                else c.issued_at,
                "kind": "credential",
                "title": c.name,
                "detail": (_("已撤销") if c.revoked_at else _("可验证证书"))
                + _("（%(date)s 签发）") % {"date": issued},
                "url": c.get_absolute_url(),
            }
        )
    if goals is None:
        goals = Goal.objects.filter(teacher=teacher).select_related("indicator")
    for g in goals[:limit]:
        events.append(
            {
                "when": g.created_at,
                "kind": "goal",
                "title": _("设定发展目标：%(code)s %(name)s")
                % {"code": g.indicator.code, "name": g.indicator.name},
                "detail": _("目标水平 %(level)s") % {"level": g.target_level},
                "url": "",
            }
        )
        if g.achieved_at:
            events.append(
                {
                    "when": g.achieved_at,
                    "kind": "goal",
                    "title": _("达成发展目标：%(code)s %(name)s")
                    % {"code": g.indicator.code, "name": g.indicator.name},
                    "detail": "",
                    "url": "",
                }
            )
    for e in Evidence.objects.filter(teacher=teacher)[:limit]:
        events.append(
            {
                "when": e.created_at,
                "kind": "evidence",
                "title": _("添加成果：%(title)s") % {"title": e.title},
                "detail": e.get_kind_display(),
                "url": "",
            }
        )
    for review in EvidenceReview.objects.filter(
        evidence__teacher=teacher, status=EvidenceReview.Status.DONE
    ).select_related("evidence", "reviewer")[:limit]:
        events.append(
            {
                "when": review.reviewed_at or review.requested_at,
                "kind": "review",
                "title": _("成果获得评价：%(title)s")
                % {"title": review.evidence.title},
                "detail": review.reviewer.display_name,
                "url": "",
            }
        )
    from training.courses.selectors import learning_events

    events.extend(learning_events(teacher=teacher, limit=limit))
    from cms.studios.selectors import memberships_of

    memberships = list(
        memberships_of(teacher=teacher)
        .filter(status__in=["active", "ended"])
        .select_related("studio")
        .order_by("-created_at")[:limit]
    )
    share_site_root_paths(m.studio for m in memberships)
    for m in memberships:
        events.append(
            {
                "when": m.decided_at or m.created_at,
                "kind": "studio",
                "title": _("加入%(studio)s（%(role)s）")
                % {"studio": m.studio.title, "role": m.get_role_display()},
                "detail": "",
                "url": m.studio.url or "",
            }
        )
    for role in RoleAssignment.objects.filter(user=teacher.user).select_related(
        "organisation"
    ):
        if role.role == "teacher":
            continue
        events.append(
            {
                "when": role.created_at,
                "kind": "role",
                "title": _("担任%(role)s") % {"role": role.get_role_display()},
                "detail": role.organisation.name if role.organisation else "",
                "url": "",
            }
        )
    events.sort(key=lambda e: e["when"], reverse=True)
    return events[:limit]


def portrait_data(teacher, *, sections=None, refresh: bool = False) -> dict:
    """Everything the portrait page shows. ``sections`` limits it (share links)."""
    from badges.selectors import credentials_of
    from credits.selectors import cycle_progress

    wanted = set(sections) if sections is not None else None

    def shows(name):
        return wanted is None or name in wanted

    # All her results in one query (a few a year): the latest, the one
    # before it (for the report's changes), their count, the timeline's.
    results = list(
        training_selectors.results_of(teacher=teacher)
        .select_related("instrument")
        .order_by("-submitted_at", "-pk")
    )
    latest = next((r for r in results if r.is_latest), None)
    previous = (
        next(
            (r for r in results if r.submitted_at < latest.submitted_at),
            False,
        )
        if latest
        else None
    )
    # Her own page shows her data as it is now, computed the same way as the
    # nightly rows (compute.py) but from what this page reads anyway; the
    # stored row is refreshed only when asked (refresh=True).
    portrait = live_portrait(teacher, latest, assessments=len(results))
    if refresh:
        portraits_recompute(teacher_ids=[teacher.pk])
    # The report's own recommendations are not shown here: the portrait
    # recommends once, for her unmet goals and weakest indicators together.
    report = (
        result_report(result=latest, recommend=False, previous=previous)
        if latest
        else None
    )
    names = dimension_names(latest.instrument.framework_id if latest else None)
    goals = (
        list(
            Goal.objects.filter(teacher=teacher)
            .select_related("indicator")
            .prefetch_related("resources")
        )
        if shows("goals") or shows("timeline")
        else []
    )
    data = {
        "teacher": teacher,
        "portrait": portrait,
        "report": report,
        "sections": wanted,
        "results": [(r.pk, r.submitted_at, r.overall_score) for r in results],
    }
    if shows("profile"):
        labels = list(names.values())
        codes = list(names.keys())
        series = [[Decimal(portrait.self_dimensions.get(c, 0)) for c in codes]]
        if portrait.evidence_dimensions:
            series.append(
                [Decimal(portrait.evidence_dimensions.get(c, 0)) for c in codes]
            )
        series_names = ["自评"] + (["成果评价"] if len(series) > 1 else [])
        summary = "，".join(f"{n}{v}" for n, v in zip(labels, series[0], strict=True))
        data["radar"] = (
            radar_svg(
                labels=labels,
                series=series,
                title=f"{teacher.real_name}的五维画像（自评）：{summary}",
                series_names=series_names,
            )
            if portrait.self_dimensions or portrait.evidence_dimensions
            else ""
        )
        data["profile_rows"] = [
            {
                "code": c,
                "name": names[c],
                "self": portrait.self_dimensions.get(c),
                "evidence": portrait.evidence_dimensions.get(c),
            }
            for c in codes
        ]
    levels = current_levels(portrait, report)
    if shows("credits"):
        data["credits"] = cycle_progress(teacher=teacher)
    if shows("credentials"):
        from badges.selectors import live_endorsements

        data["credentials"] = list(
            credentials_of(teacher=teacher)
            .filter(kind="badge")
            .only("uid", "name", "issued_at", "revoked_at")
            .order_by("-issued_at")[:30]
        )
        # Studio leaders' endorsements, each verifiable on its own page.
        endorsed = live_endorsements(credential_ids=[c.pk for c in data["credentials"]])
        for credential in data["credentials"]:
            credential.live_endorsements = endorsed.get(credential.pk, [])
    if shows("timeline"):
        data["timeline"] = timeline(teacher, results=results, goals=goals)
    if shows("goals"):
        goals = goals_with_progress(teacher, levels, goals)
        data["goals"] = goals
        gap_ids = [g["goal"].indicator_id for g in goals if not g["met"]]
        if report:
            gap_ids += [row["competency"].pk for row in report["weakest"]]
        data["recommendations"] = recommendations_for(
            indicator_ids=gap_ids, teacher_id=teacher.pk
        )
    if shows("evidence"):
        data["evidence"] = list(
            Evidence.objects.filter(teacher=teacher)
            .prefetch_related("indicators", "reviews__reviewer")
            .order_by("-created_at")[:30]
        )
    if shows("studios"):
        data["studios"] = studio_part(teacher)
    return data


def studio_part(teacher) -> dict:
    """Her studio roles and contributions (see
    `cms.studios.selectors.teacher_contributions`)."""
    from cms.studios.selectors import teacher_contributions

    return teacher_contributions(teacher)


def results_compare(teacher, a_id, b_id) -> list[dict] | None:
    """Change per dimension (and indicator) between two of her assessments."""
    results = {
        r.pk: r
        for r in training_selectors.results_of(teacher=teacher).filter(
            pk__in=[a_id, b_id]
        )
    }
    if len(results) != 2:
        return None
    a, b = sorted(results.values(), key=lambda r: r.submitted_at)
    names = dict(
        training_selectors.competencies(
            framework_id=a.instrument.framework_id
        ).values_list("code", "name")
    )
    rows = []
    for code, entry in b.scores["dimensions"].items():
        before = a.scores["dimensions"].get(code)
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "before": Decimal(before["score"]) if before else None,
                "after": Decimal(entry["score"]),
                "delta": Decimal(entry["score"]) - Decimal(before["score"])
                if before
                else None,
            }
        )
    return {"a": a, "b": b, "rows": rows}


def log_view(*, teacher, viewer=None, via, share_link=None) -> None:
    PortraitView.objects.create(
        teacher=teacher, viewer=viewer, via=via, share_link=share_link
    )


def indicator_choices():
    """The indicators of the framework the current instrument assesses."""
    instrument = current_instrument()
    rows = training_selectors.competencies(levels=[training_selectors.INDICATOR])
    if instrument:
        rows = rows.filter(framework_id=instrument.framework_id)
    return rows.order_by("sort_key")


def reviews_waiting_for(user) -> int:
    """How many evidence reviews she has been asked for and not yet done."""
    return EvidenceReview.objects.filter(
        reviewer=user, status=EvidenceReview.Status.REQUESTED
    ).count()


def evidence_of(teacher):
    """Her evidence, with indicators and reviews, for the evidence page."""
    return Evidence.objects.filter(teacher=teacher).prefetch_related(
        "indicators", "reviews__reviewer"
    )


def evidence_visible_to(user, evidence) -> bool:
    """Whether `user` may open the piece's file: its owner, a reviewer asked
    about it, or someone who sees its teacher."""
    from cms.accounts import scoping

    if evidence.teacher.user_id == user.pk:
        return True
    if EvidenceReview.objects.filter(evidence=evidence, reviewer=user).exists():
        return True
    return scoping.teachers_visible_to(user).filter(pk=evidence.teacher_id).exists()


def reviews_asked_of(user):
    """The evidence reviews she has been asked for, waiting ones first."""
    return (
        EvidenceReview.objects.filter(reviewer=user)
        .select_related("evidence__teacher__school")
        .order_by("status", "-requested_at")
    )


def portrait_views_of(teacher):
    """Who viewed her portrait, for the view log."""
    return PortraitView.objects.filter(teacher=teacher).select_related("viewer")
