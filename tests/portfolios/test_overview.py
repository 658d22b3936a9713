"""The 驾驶舱: figures for the leader's own teachers, small groups hidden."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portfolios.compute import portraits_recompute
from tests.embedded import assert_passes_on_sqlite
from tests.factories import TeacherFactory, hr_user

from .conftest import assess

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(world):
    for _ in range(4):
        TeacherFactory(
            school=world["school_a1"], subjects=["音乐"], career_stage="骨干"
        )
    for _ in range(5):
        TeacherFactory(school=world["school_b1"])
    for teacher in world["school_a1"].teachers.all()[:3]:
        assess(teacher, lambda n: 1 + n % 2)  # weakest where the odd items are
    portraits_recompute()
    return world


def test_school_leader_sees_her_school_only(
    client, district, django_assert_max_num_queries
):
    hr = hr_user(district["school_a1"])
    client.force_login(hr)
    client.get(reverse("org_overview"))  # warm up first: one-off per-process queries
    # 6: the figures, charts and tables come from the cache (computing them,
    # on the warm-up, is about 20 queries whatever the number of teachers).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("org_overview"))
    html = response.content.decode()
    data = response.context
    assert data["total"] == 6 and not data["suppressed"]
    assert data["figures"]["assessed"] == 3
    assert data["percent"]["assessed"] == 50
    assert (
        len(data["weakest"]) == 5
        and data["weakest"][0]["mean"] <= data["weakest"][-1]["mean"]
    )
    assert "东湖实验小学" in html and "西山中心小学" not in html
    assert [row["term"] for row in data["trend"]]


def test_groups_under_five_are_hidden(client, district):
    hr = hr_user(district["dist_a"])
    client.force_login(hr)
    # School A2 has two teachers: not listed on its own.
    response = client.get(reverse("org_overview"))
    names = [s["teacher__school__name"] for s in response.context["schools"]]
    assert names == ["东湖实验小学"]
    assert response.context["hidden_schools"] == 1
    filtered = client.get(reverse("org_overview"), {"school": district["school_a2"].pk})
    assert filtered.context["suppressed"] and "少于 5 人" in filtered.content.decode()
    stage = client.get(reverse("org_overview"), {"stage": "骨干"})
    assert stage.context["suppressed"]  # four 骨干 teachers


def test_filters_and_exports(client, district):
    hr = hr_user(district["dist_a"])
    client.force_login(hr)
    subject = client.get(reverse("org_overview"), {"subject": "音乐"})
    assert subject.context["total"] == 4 and subject.context["suppressed"]
    csv = client.get(reverse("org_overview_csv")).content.decode("utf-8-sig")
    assert "东湖实验小学" in csv and "东湖第一中学" not in csv
    book = load_workbook(io.BytesIO(client.get(reverse("org_overview_xlsx")).content))
    assert any(
        "东湖实验小学" in str(c.value) for row in book.active.iter_rows() for c in row
    )


def test_another_districts_leader_cannot_pick_our_school(client, district):
    hr = hr_user(district["dist_b"])
    client.force_login(hr)
    response = client.get(reverse("org_overview"), {"school": district["school_a1"].pk})
    assert response.context["total"] == 0
    teacher = district["teachers"]["SA1"][0]
    client.force_login(teacher.user)
    assert client.get(reverse("org_overview")).status_code == 403


def test_teachers_not_yet_in_the_nightly_figures_are_announced(client, district):
    TeacherFactory(school=district["school_a1"])
    hr = hr_user(district["school_a1"])
    client.force_login(hr)
    html = client.get(reverse("org_overview")).content.decode()
    assert "7 位教师中有 6 位已纳入统计" in html


def test_subject_filter_works_on_the_embedded_database_too(tmp_path):
    """`make run` serves from SQLite, where subjects are JSON text with every
    Chinese character escaped: the same filter test must pass there."""
    assert_passes_on_sqlite(tmp_path, f"{__file__}::test_filters_and_exports")
