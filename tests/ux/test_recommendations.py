"""Issue 17 item 4: every recommendation is something she can open and act on
(a catalogue course, a studio activity, a resource to read), and says why."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.studios import services as studio_services
from cms.studios.models import Activity, StudioArticlePage
from tests.factories import TeacherFactory
from tests.factories.courses import make_course
from tests.factories.training import make_instrument
from training import services
from training.models import LearningResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def weak_report(district_tree):
    instrument = make_instrument()
    teacher = district_tree["teachers"]["SA1"][0]
    attempt = services.attempt_start(teacher=teacher)
    services.answers_save(
        attempt=attempt,
        answers={
            i.pk: 1 if i.position <= 3 else 4 for i in attempt.instrument.items.all()
        },
    )
    result = services.attempt_submit(attempt=attempt)
    weak = instrument.items.get(position=1).indicator
    return teacher, result, weak


def test_each_recommendation_links_and_names_its_weak_indicator(
    client, district_tree, weak_report
):
    teacher, result, weak = weak_report
    course = make_course(title="精准教学的学情分析", indicators=[weak.code])
    studio = studio_services.studio_create(
        title="数据教学工作室",
        kind="名师",
        leader=TeacherFactory(school=district_tree["school_a2"]).user,
        region=district_tree["dist_a"],
    )
    soon = timezone.now() + datetime.timedelta(days=2)
    activity = Activity.objects.create(
        studio=studio,
        title="数据分析集体备课",
        kind="集体备课",
        starts_at=soon,
        ends_at=soon + datetime.timedelta(hours=2),
        place="会议室",
    )
    activity.indicators.add(weak)
    article = studio.add_child(
        instance=StudioArticlePage(
            title="用数据诊断学习难点", kind="研修文章", body="<p>正文</p>"
        )
    )
    article.indicators.add(weak)
    article.save_revision().publish()
    LearningResource.objects.create(
        title="没有链接的课程", kind="course"
    ).indicators.add(weak)

    client.force_login(teacher.user)
    html = client.get(reverse("assessment_result", args=[result.pk])).content.decode()
    section = html.split('class="recommendations"')[1].split("</ul>")[0]
    items = section.split('<li class="card">')[1:]
    assert len(items) == 3, section
    for url, title in (
        (course.url, "精准教学的学情分析"),
        (reverse("studio_activity", args=[activity.pk]), "数据分析集体备课"),
        (article.url, "用数据诊断学习难点"),
    ):
        (li,) = [li for li in items if title in li]
        assert f'href="{url}"' in li
        assert "推荐理由" in li and f"{weak.code} {weak.name}" in li
    assert "没有链接的课程" not in html
    # Each one opens.
    for url in (course.url, reverse("studio_activity", args=[activity.pk])):
        assert client.get(url).status_code == 200

    # The portrait offers the same, clickable.
    portrait = client.get(reverse("my_portrait")).content.decode()
    recs = portrait.split('id="portrait-recommendations"')[1].split("</ul>")[0]
    assert f'href="{course.url}"' in recs and "推荐理由" in recs


def test_the_pdf_report_links_its_recommendations(client, weak_report):
    teacher, result, weak = weak_report
    course = make_course(title="精准教学的学情分析", indicators=[weak.code])
    client.force_login(teacher.user)
    pdf = client.get(reverse("assessment_result_pdf", args=[result.pk])).content
    assert b"/URI" in pdf
    assert re.search(rb"http://testserver" + re.escape(course.url.encode()), pdf)


def test_a_studio_article_in_a_private_section_is_not_recommended(
    client, district_tree, weak_report
):
    """Both kinds of studio page leave out private sections (read once for
    both): a resource in a password-protected studio is never offered, the
    same article in a public studio is."""
    from wagtail.models import PageViewRestriction

    teacher, result, weak = weak_report
    leader = TeacherFactory(school=district_tree["school_a2"]).user
    pages = {}
    for name in ("公开工作室", "内部工作室"):
        studio = studio_services.studio_create(
            title=name, kind="名师", leader=leader, region=district_tree["dist_a"]
        )
        page = studio.add_child(
            instance=StudioArticlePage(
                title=f"{name}的学情分析资源", kind="研修文章", body="<p>正文</p>"
            )
        )
        page.indicators.add(weak)
        page.save_revision().publish()
        pages[name] = (studio, page)
    PageViewRestriction.objects.create(
        page=pages["内部工作室"][0],
        restriction_type=PageViewRestriction.PASSWORD,
        password="secret",
    )
    client.force_login(teacher.user)
    html = client.get(reverse("assessment_result", args=[result.pk])).content.decode()
    section = html.split('class="recommendations"')[1].split("</ul>")[0]
    assert "公开工作室的学情分析资源" in section
    assert "内部工作室的学情分析资源" not in html


def _recommended_titles(client, result) -> list[str]:
    html = client.get(reverse("assessment_result", args=[result.pk])).content.decode()
    if 'class="recommendations"' not in html:
        return []
    section = html.split('class="recommendations"')[1].split("</ul>")[0]
    return re.findall(r"<a [^>]*>([^<]+)</a>", section)


def test_cached_recommendations_follow_publishing_and_her_enrolment_at_once(
    client, weak_report
):
    """The candidates are cached for everyone (issue 16): a course published
    after the report was first shown is recommended on the next view, one
    unpublished is gone on the next view, and one she enrols in is no longer
    offered to her."""
    from training.courses.services import course_enrol

    teacher, result, weak = weak_report
    client.force_login(teacher.user)
    first = make_course(title="课堂数据的可视化解读", indicators=[weak.code])
    assert any("课堂数据的可视化解读" in t for t in _recommended_titles(client, result))

    second = make_course(title="学情诊断与精准反馈", indicators=[weak.code])
    assert any("学情诊断与精准反馈" in t for t in _recommended_titles(client, result))

    second.unpublish()
    titles = _recommended_titles(client, result)
    assert not any("学情诊断与精准反馈" in t for t in titles), titles
    assert any("课堂数据的可视化解读" in t for t in titles)

    course_enrol(course=first, teacher=teacher)
    titles = _recommended_titles(client, result)
    assert not any("课堂数据的可视化解读" in t for t in titles), titles


def test_cached_recommendations_equal_those_computed_afresh(district_tree, weak_report):
    """With more courses than the cache keeps spare, and a teacher enrolled in
    most of them, the cached answer is still exactly the fresh one."""
    from training.courses.services import course_enrol
    from training.recommendations import selectors as rec

    teacher, result, weak = weak_report
    courses = [
        make_course(title=f"数据分析课程{n:02d}", indicators=[weak.code])
        for n in range(rec.SPARE + 6)
    ]
    for ids, who in (([weak.pk], None), ([weak.pk], teacher.pk)):
        assert rec.recommendations_for(
            indicator_ids=ids, teacher_id=who
        ) == rec._compute(indicator_ids=ids, teacher_id=who)
    for course in courses[: rec.SPARE + 2]:
        course_enrol(course=course, teacher=teacher)
    fresh = rec._compute(indicator_ids=[weak.pk], teacher_id=teacher.pk)
    assert [r.title for r in fresh][:4] == [c.title for c in courses[rec.SPARE + 2 :]]
    assert (
        rec.recommendations_for(indicator_ids=[weak.pk], teacher_id=teacher.pk) == fresh
    )
