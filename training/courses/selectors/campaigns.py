"""Campaigns: those a user may see and their completion figures."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from cms.accounts.models import TeacherProfile

from ..models import (
    Campaign,
    CoursePage,
    Enrolment,
)


def campaign_figures(*, campaign: Campaign) -> dict:
    """Completion per school for the campaign's courses among the teachers of
    its organisation, in three grouped queries."""
    org = campaign.organisation
    teachers = TeacherProfile.objects.filter(school__path__startswith=org.path)
    course_ids = list(campaign.courses.values_list("pk", flat=True))
    per_school = {
        row["school_id"]: {
            "name": row["school__name"],
            "teachers": row["n"],
            "enrolments": 0,
            "completed": 0,
        }
        for row in teachers.order_by()
        .values("school_id", "school__name")
        .annotate(n=Count("pk"))
    }
    enrolments = Enrolment.objects.filter(
        course_id__in=course_ids, teacher__school__path__startswith=org.path
    ).order_by()
    for row in enrolments.values("teacher__school_id").annotate(
        n=Count("pk"), done=Count("pk", filter=Q(status=Enrolment.Status.COMPLETED))
    ):
        school = per_school.get(row["teacher__school_id"])
        if school is not None:
            school["enrolments"], school["completed"] = row["n"], row["done"]
    per_course = defaultdict(lambda: {"enrolments": 0, "completed": 0})
    for row in enrolments.values("course_id").annotate(
        n=Count("pk"), done=Count("pk", filter=Q(status=Enrolment.Status.COMPLETED))
    ):
        per_course[row["course_id"]] = {
            "enrolments": row["n"],
            "completed": row["done"],
        }
    schools = sorted(per_school.values(), key=lambda s: s["name"])
    for school in schools:
        school["rate"] = (
            round(school["completed"] * 100 / school["enrolments"], 1)
            if school["enrolments"]
            else 0
        )
    courses = [
        {"course": c, **per_course[c.pk]}
        for c in CoursePage.objects.filter(pk__in=course_ids).order_by("title")
    ]
    for row in courses:
        row["rate"] = (
            round(row["completed"] * 100 / row["enrolments"], 1)
            if row["enrolments"]
            else 0
        )
    total = sum(s["enrolments"] for s in schools)
    completed = sum(s["completed"] for s in schools)
    return {
        "schools": schools,
        "courses": courses,
        "total": total,
        "completed": completed,
        "rate": round(completed * 100 / total, 1) if total else 0,
    }


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    from cms.accounts.scoping import organisations_visible_to

    return Campaign.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation", "created_by")
