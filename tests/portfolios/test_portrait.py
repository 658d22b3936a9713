"""The portrait: what a teacher sees, how it is computed, goals and evidence."""

import datetime
import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cms.shared import pagecache
from portfolios.compute import portraits_recompute
from portfolios.models import Evidence, EvidenceReview, Goal, Portrait
from tests.factories import TeacherFactory
from tests.factories.credits import ledger_record
from training.models import Competency

from .conftest import assess

pytestmark = pytest.mark.django_db


def test_portrait_page_shows_profile_credits_credentials_and_timeline(
    client, lin, django_assert_max_num_queries
):
    client.force_login(lin.user)
    client.get(reverse("my_portrait"))  # warm up first: one-off per-process queries
    pagecache.teacher_changed(lin.pk)  # rendered afresh, not from the cache
    with django_assert_max_num_queries(32):
        response = client.get(reverse("my_portrait"))
    with django_assert_max_num_queries(4):  # kept rendered until her data changes
        assert client.get(reverse("my_portrait")).content.count(b"<section") == 7
    html = response.content.decode()
    assert "<svg" in html  # radar
    for heading in [
        "五维画像",
        "学时学分",
        "证书",
        "发展目标",
        "成果与评价",
        "成长时间线",
    ]:
        assert heading in html
    assert "人工智能助力课堂教学（12学时）" in html
    assert "完成数字素养自我测评" in html
    # The nightly row agrees with what the page showed.
    portraits_recompute(teacher_ids=[lin.pk])
    portrait = Portrait.objects.get(teacher=lin)
    for score in portrait.self_dimensions.values():
        assert score in html
    assert portrait.cycle_hours == 12 and portrait.credentials == 1
    assert set(portrait.self_dimensions) == {"1", "2", "3", "4", "5"}


def test_page_queries_do_not_grow_with_her_history(
    client, lin, django_assert_max_num_queries
):
    client.force_login(lin.user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("my_portrait"))  # warm up first: one-off per-process queries
    pagecache.teacher_changed(lin.pk)  # rendered afresh, not from the cache
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("my_portrait"))
    for n in range(15):
        ledger_record(
            teacher=lin, category="学科", source_id=100 + n, title=f"课程{n}", hours=2
        )
    from django.test import override_settings

    with override_settings(ASSESSMENT_RETAKE_DAYS=0):
        assess(lin)
    # Warm up again: her new weakest indicators are a new set whose
    # recommendation candidates are computed once for everyone, then cached.
    client.get(reverse("my_portrait"))
    pagecache.teacher_changed(lin.pk)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("my_portrait"))
    assert len(after.captured_queries) <= len(before.captured_queries)


def test_recompute_is_set_based(world, django_assert_max_num_queries):
    for school in ("SA1", "SA2", "SB1"):
        for _ in range(5):
            TeacherFactory(school=world[f"school_{school.lower()[1:]}"])
    with django_assert_max_num_queries(20):
        count = portraits_recompute()
    assert count == Portrait.objects.count() >= 21
    more = [TeacherFactory(school=world["school_a1"]) for _ in range(30)]
    with django_assert_max_num_queries(20):
        portraits_recompute()
    assert Portrait.objects.filter(teacher__in=more).count() == 30


def test_compare_two_assessments(client, lin):
    from django.test import override_settings

    with override_settings(ASSESSMENT_RETAKE_DAYS=0):
        second = assess(lin, lambda n: 5)
    first = lin.assessment_results.exclude(pk=second.pk).get()
    client.force_login(lin.user)
    html = client.get(
        reverse("my_portrait"), {"a": first.pk, "b": second.pk}
    ).content.decode()
    assert 'id="compare-table"' in html
    assert "+" in html.split('id="compare-table"')[1]


def test_goal_with_progress_validation_and_confirmed_delete(client, lin):
    client.force_login(lin.user)
    indicator = Competency.objects.get(code="3.3.2", framework__code="jyt0646-2022")
    past = client.post(
        reverse("goal_new"),
        {"indicator": indicator.pk, "target_level": 4, "due_on": "2020-01-01"},
    )
    assert past.status_code == 400 and "不能早于今天" in past.content.decode()
    due = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    client.post(
        reverse("goal_new"),
        {
            "indicator": indicator.pk,
            "target_level": 4,
            "due_on": due,
            "plan": "参加数据分析课程",
        },
    )
    goal = Goal.objects.get(teacher=lin)
    html = client.get(reverse("my_portrait")).content.decode()
    assert "3.3.2" in html and "目标水平 4" in html and "参加数据分析课程" in html
    # A GET asks for confirmation; only the POST deletes.
    assert (
        "确定删除"
        in client.get(reverse("goal_delete", args=[goal.pk])).content.decode()
    )
    assert Goal.objects.filter(pk=goal.pk).exists()
    client.post(reverse("goal_delete", args=[goal.pk]))
    assert not Goal.objects.filter(pk=goal.pk).exists()


def pdf_upload(name="教学设计.pdf", body=b"%PDF-1.4\n%%EOF\n"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def test_evidence_upload_checks_type_and_content(client, lin):
    client.force_login(lin.user)
    indicator = Competency.objects.get(code="3.1.3", framework__code="jyt0646-2022")
    fake = client.post(
        reverse("evidence_list"),
        {
            "title": "伪装的文件",
            "kind": "design",
            "indicators": [indicator.pk],
            "upload": pdf_upload(body=b"MZ\x90\x00 not a pdf"),
        },
    )
    assert (
        fake.status_code == 400 and "不是一个真正的 PDF 文件" in fake.content.decode()
    )
    exe = client.post(
        reverse("evidence_list"),
        {
            "title": "程序",
            "kind": "other",
            "indicators": [indicator.pk],
            "upload": SimpleUploadedFile("a.exe", b"MZ"),
        },
    )
    assert exe.status_code == 400 and "只接受" in exe.content.decode()
    nothing = client.post(
        reverse("evidence_list"),
        {"title": "空", "kind": "other", "indicators": [indicator.pk]},
    )
    assert "请上传文件或填写链接" in nothing.content.decode()
    assert not Evidence.objects.exists()
    ok = client.post(
        reverse("evidence_list"),
        {
            "title": "大单元教学设计",
            "kind": "design",
            "indicators": [indicator.pk],
            "upload": pdf_upload(),
        },
    )
    assert ok.status_code == 302
    assert Evidence.objects.get().file_name == "教学设计.pdf"


def test_a_trainer_reviews_evidence_and_it_counts_in_the_portrait(client, lin, trainer):
    indicator = Competency.objects.get(code="3.1.3", framework__code="jyt0646-2022")
    evidence = Evidence.objects.create(
        teacher=lin, title="大单元教学设计", kind="design", file=pdf_upload()
    )
    evidence.file_name = "教学设计.pdf"
    evidence.save()
    evidence.indicators.add(indicator)

    client.force_login(lin.user)
    page = client.get(reverse("evidence_list")).content.decode()
    assert "王培训" in page
    client.post(
        reverse("evidence_request_review", args=[evidence.pk]), {"reviewer": trainer.pk}
    )
    again = client.post(
        reverse("evidence_request_review", args=[evidence.pk]),
        {"reviewer": trainer.pk},
        follow=True,
    )
    assert "正在等待评价" in again.content.decode()
    review = EvidenceReview.objects.get()

    other = TeacherFactory(school=lin.school)
    client.force_login(other.user)
    assert client.get(reverse("evidence_file", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("review_edit", args=[review.pk])).status_code == 404

    client.force_login(trainer)
    assert client.get(reverse("evidence_file", args=[evidence.pk])).status_code == 200
    form = client.get(reverse("review_edit", args=[review.pk])).content.decode()
    assert "3.1.3" in form and "3.1.3 水平5的做法" in form
    missing = client.post(reverse("review_edit", args=[review.pk]), {"comment": "好"})
    assert missing.status_code == 400 and "3.1.3" in missing.content.decode()
    client.post(
        reverse("review_edit", args=[review.pk]),
        {"level-3.1.3": "5", "comment": "设计完整"},
    )
    review.refresh_from_db()
    assert review.status == "done" and review.levels == {"3.1.3": 5}

    portraits_recompute(teacher_ids=[lin.pk])
    portrait = Portrait.objects.get(teacher=lin)
    assert portrait.evidence_dimensions == {"3": "5.00"}
    assert portrait.evidence_reviews == 1
    client.force_login(lin.user)
    html = client.get(reverse("my_portrait")).content.decode()
    assert "王培训" in html and "设计完整" in html
    views = client.get(reverse("portrait_views")).content.decode()
    assert "王培训" in views and "评价人查看成果" in views


def test_the_report_pdf_has_searchable_chinese(client, lin, tmp_path):
    client.force_login(lin.user)
    response = client.get(reverse("portrait_pdf"))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "r.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "教师数字素养成长报告" in text and "林晓" in text and "五维画像" in text
    pages = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    count = int(
        next(line for line in pages.splitlines() if line.startswith("Pages:")).split()[
            1
        ]
    )
    assert count in (1, 2)


def test_method_page_documents_sources_and_weights(client, lin):
    client.force_login(lin.user)
    html = client.get(reverse("portrait_method")).content.decode()
    assert "最近一次自我测评" in html and "平均值" in html


__all__ = ["io"]


def test_timeline_dates_credits_by_when_the_learning_happened(client, world):
    """Credits earned in March and August, issued as credentials today, sit on
    the timeline in March and August; the signing day is only a detail."""
    from badges.services import credentials_issue
    from credits.services import credit_record_append

    teacher = world["teachers"]["SA1"][1]
    year = datetime.date.today().year - 1
    records = [
        credit_record_append(
            teacher=teacher,
            kind="online_course",
            category="信息技术应用",
            source_type="courses.course",
            source_id=str(n),
            source_title=title,
            hours=8,
            earned_on=day,
            idempotency_key=f"tl:{n}",
        )
        for n, (title, day) in enumerate(
            [
                ("三月的课程", datetime.date(year, 3, 14)),
                ("八月的课程", datetime.date(year, 8, 20)),
            ]
        )
    ]
    credentials_issue([r.pk for r in records])
    client.force_login(teacher.user)
    html = client.get(reverse("my_portrait")).content.decode()
    timeline = html[html.index("成长时间线") :]
    today = datetime.date.today().isoformat()
    for day, title in [
        (f"{year}-03-14", "三月的课程"),
        (f"{year}-08-20", "八月的课程"),
    ]:
        entries = [line for line in timeline.splitlines() if title in line]
        assert entries, title
        # Both the credit and its credential are dated by the learning.
        assert all(f">{day}</time>" in line for line in entries), entries
    assert f">{today}</time> 三月的课程" not in timeline
    assert f"（{today} 签发）" in timeline
