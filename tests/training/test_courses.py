"""The course catalogue and training: search and filters, enrolment, lessons
and the video threshold, quizzes, assignments and rubric grading with its
audit trail, offline score import, sessions, completion and credits, and who
may see what."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from badges.models import AchievementDefinition
from cms.accounts.models import Role
from credits.data import SourceKind
from credits.models import CreditRecord
from tests.factories import TeacherFactory, UserFactory, grant
from tests.factories.courses import make_course
from training.courses import services
from training.courses.models import (
    Enrolment,
    GradeChange,
    LessonProgress,
    SessionRegistration,
    Submission,
)

pytestmark = pytest.mark.django_db

QUESTIONS = [("甲\n乙\n丙", "B"), ("甲\n乙\n丙\n丁", "ACD")]


def titles_on(response) -> str:
    return response.content.decode()


# Catalogue


def test_search_finds_chinese_words_inside_titles_and_text(client, rules):
    make_course(title="数据驱动的精准教学", summary="用作业数据做学情分析")
    make_course(title="数字化教学设计与实施", summary="设计混合学习活动")
    make_course(title="教师心理健康自我调适", summary="压力管理")
    url = "/courses/"

    page = titles_on(client.get(url, {"q": "数据"}))
    assert "数据驱动的精准教学" in page
    assert "数字化教学设计与实施" not in page and "心理健康自我调适" not in page

    page = titles_on(client.get(url, {"q": "数字化教学"}))
    assert "数字化教学设计与实施" in page and "数据驱动" not in page

    # A word found only in the body text.
    make_course(title="课堂观察", summary="观察量表与学情分析方法")
    assert "课堂观察" in titles_on(client.get(url, {"q": "学情分析"}))

    page = titles_on(client.get(url, {"q": "区块链"}))
    assert "没有找到包含“区块链”的课程" in page


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the search is checked on PostgreSQL"
)
def test_search_is_not_a_word_split_full_text_search(rules):
    """PostgreSQL's own text search cannot split Chinese: the same query finds
    nothing there, which is why the catalogue matches substrings."""
    from django.contrib.postgres.search import SearchQuery, SearchVector

    from training.courses.models import CoursePage
    from training.courses.selectors import course_search

    make_course(title="数据驱动的精准教学")
    courses = CoursePage.objects.live()
    assert course_search(courses, "数据").count() == 1
    assert (
        courses.annotate(v=SearchVector("title", config="simple"))
        .filter(v=SearchQuery("数据", config="simple"))
        .count()
        == 0
    )


def test_filters_sort_and_pagination(client, rules):
    make_course(title="评价课", indicators=("3.3.1",), mode="online", hours=Decimal(4))
    make_course(
        title="安全课", indicators=("4.2.1",), mode="offline", hours=Decimal(12)
    )
    make_course(title="语文课", indicators=("3.2.3",), subject="语文", hours=Decimal(8))
    make_course(title="通用课", indicators=("5.1.1",), hours=Decimal(2))

    def listed(**params):
        page = titles_on(client.get("/courses/", params))
        return {t for t in ("评价课", "安全课", "语文课", "通用课") if t in page}

    assert listed(dimension="3") == {"评价课", "语文课"}
    assert listed(indicator="4.2.1") == {"安全课"}
    assert listed(mode="offline") == {"安全课"}
    # Courses for every subject suit a 语文 teacher too; 数学 drops the 语文 one.
    assert listed(subject="数学") == {"评价课", "安全课", "通用课"}
    assert listed(hours_min="4", hours_max="8") == {"评价课", "语文课"}
    assert listed(hours_min="abc") == {"评价课", "安全课", "语文课", "通用课"}
    page = titles_on(client.get("/courses/", {"sort": "hours"}))
    assert page.index("通用课") < page.index("评价课") < page.index("安全课")

    for _ in range(21):
        make_course()
    first = titles_on(client.get("/courses/"))
    assert "第 1 / 2 页" in first and "共 25 门课程" in first
    second = client.get("/courses/", {"page": "2"})
    assert second.status_code == 200 and "第 2 / 2 页" in titles_on(second)


def test_unpublished_courses_are_not_listed(client, rules):
    make_course(title="草稿课程", publish=False)
    assert "草稿课程" not in titles_on(client.get("/courses/"))


# Enrolment


def test_enrol_once_within_the_window_and_the_places(client, rules):
    today = timezone.localdate()
    course = make_course(capacity=1)
    first, second = TeacherFactory(), TeacherFactory()
    client.force_login(first.user)
    url = reverse("course_enrol", args=[course.pk])
    client.post(url)
    client.post(url)  # a double click
    assert Enrolment.objects.filter(course=course).count() == 1

    client.force_login(second.user)
    response = client.post(url, follow=True)
    assert "名额已满" in titles_on(response)
    assert not Enrolment.objects.filter(teacher=second).exists()

    closed = make_course(enrol_closes=today - datetime.timedelta(days=1))
    with pytest.raises(services.NotAllowed, match="报名已截止"):
        services.course_enrol(course=closed, teacher=second)
    later = make_course(enrol_opens=today + datetime.timedelta(days=3))
    page = titles_on(client.get(later.url))
    assert "报名尚未开始" in page and "报名学习" not in page


def test_my_learning_lists_her_courses_with_progress(client, rules):
    teacher = TeacherFactory()
    course = make_course(title="我的课", lessons=4)
    enrolment = services.course_enrol(course=course, teacher=teacher)
    services.lesson_complete(enrolment=enrolment, lesson=course.lessons.first())
    other = TeacherFactory()
    services.course_enrol(course=make_course(title="别人的课"), teacher=other)
    client.force_login(teacher.user)
    page = titles_on(client.get("/learn/"))
    assert "我的课" in page and "1/4 课时" in page and "别人的课" not in page
    client.force_login(TeacherFactory().user)
    assert "你还没有报名任何课程" in titles_on(client.get("/learn/"))


# Lessons


def test_text_lessons_count_once_and_video_needs_watching(rules):
    teacher = TeacherFactory()
    course = make_course(lessons=1, video=1, video_threshold=90)
    enrolment = services.course_enrol(course=course, teacher=teacher)
    text, video = list(course.lessons.all())
    services.lesson_complete(enrolment=enrolment, lesson=text)
    services.lesson_complete(enrolment=enrolment, lesson=text)
    enrolment.refresh_from_db()
    assert enrolment.lessons_done == 1

    with pytest.raises(services.NotAllowed, match="90%"):
        services.lesson_complete(enrolment=enrolment, lesson=video)
    # Jumping straight to the end counts for nothing.
    progress = services.video_progress_report(
        enrolment=enrolment, lesson=video, position=100
    )
    assert progress.watched_seconds == 0 and progress.completed_at is None

    def played(seconds_ago, position):
        LessonProgress.objects.filter(pk=progress.pk).update(
            last_report_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
        )
        return services.video_progress_report(
            enrolment=enrolment, lesson=video, position=position
        )

    assert played(10, 20).watched_seconds == 20  # watched 10 s (+ slack)
    assert played(5, 95).watched_seconds == 20  # a seek ahead: ignored
    assert played(30, 60).watched_seconds == 60
    assert played(30, 85).completed_at is None  # 85% < 90%
    done = played(10, 91)
    assert done.completed_at is not None
    enrolment.refresh_from_db()
    assert enrolment.lessons_done == 2
    # Rewinding later takes nothing away.
    assert played(10, 5).watched_seconds == 91


# Quiz


def test_quiz_marking_needs_exactly_the_right_options(client, rules):
    teacher = TeacherFactory()
    course = make_course(lessons=0, questions=QUESTIONS, quiz_pass_percent=100)
    enrolment = services.course_enrol(course=course, teacher=teacher)
    q1, q2 = list(course.questions.all())
    with pytest.raises(services.NotAllowed, match="第 2 题"):
        services.quiz_submit(enrolment=enrolment, answers={q1.pk: {"B"}})
    attempt = services.quiz_submit(
        enrolment=enrolment, answers={q1.pk: {"B"}, q2.pk: {"A", "C"}}
    )
    assert (attempt.score, attempt.max_score, attempt.passed) == (1, 2, False)
    attempt = services.quiz_submit(
        enrolment=enrolment, answers={q1.pk: {"B"}, q2.pk: {"A", "C", "D"}}
    )
    assert attempt.passed
    enrolment.refresh_from_db()
    assert enrolment.quiz_passed and enrolment.status == "completed"

    client.force_login(teacher.user)
    response = client.post(reverse("course_quiz", args=[course.pk]), {})
    assert response.status_code == 400 and "还有题目未作答" in titles_on(response)


# Completion and credits


def test_completion_is_recorded_and_credited_exactly_once(client, rules):
    teacher = TeacherFactory()
    course = make_course(title="数据素养", lessons=2, hours=Decimal("8"))
    enrolment = services.course_enrol(course=course, teacher=teacher)
    client.force_login(teacher.user)
    for lesson in course.lessons.all():
        url = reverse("course_lesson", args=[course.pk, lesson.pk])
        client.post(url)
        client.post(url)  # double click
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    assert services.completion_check(enrolment=enrolment) is False  # a retry
    services.completion_credit(enrolment=enrolment, on=timezone.localdate())
    records = CreditRecord.objects.filter(
        teacher=teacher, source_type=SourceKind.COURSE
    )
    assert records.count() == 1
    record = records.get()
    assert record.hours == Decimal("8.0") and record.source_title == "数据素养"
    assert enrolment.credit_record_id == record.pk
    page = titles_on(client.get(course.url))
    assert "已结业" in page
    assert "数据素养" in titles_on(client.get(reverse("my_credits")))


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_credit_once(rules):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    teacher = TeacherFactory()
    course = make_course(lessons=1)
    enrolment = services.course_enrol(course=course, teacher=teacher)
    # Her one lesson learnt, as if the completion check had not yet run.
    LessonProgress.objects.create(
        enrolment=enrolment, lesson=course.lessons.get(), completed_at=timezone.now()
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(lessons_done=1)
    barrier = threading.Barrier(8)
    results = []

    def complete():
        from django.db import connection as conn

        try:
            fresh = Enrolment.objects.select_related("course").get(pk=enrolment.pk)
            barrier.wait()
            results.append(services.completion_check(enrolment=fresh))
        finally:
            conn.close()

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


def test_publishing_a_course_defines_its_achievement(rules):
    course = make_course(title="混合式教学", indicators=("3.1.4", "3.2.1"))
    definition = AchievementDefinition.objects.get(
        source_type=SourceKind.COURSE, source_id=str(course.pk)
    )
    assert definition.name == "混合式教学"
    assert "学完全部课时" in definition.criteria
    assert sorted(definition.competencies.values_list("code", flat=True)) == [
        "3.1.4",
        "3.2.1",
    ]
    course.title = "混合式教学（修订）"
    course.save_revision().publish()
    definition.refresh_from_db()
    assert definition.name == "混合式教学（修订）" and definition.slug == (
        f"course-{course.pk}"
    )


# Assignments and grading


def test_submit_return_resubmit_grade_with_an_audit_trail(client, graded):
    course, teacher, trainer = graded["course"], graded["teacher"], graded["trainer"]
    c1, c2 = list(graded["rubric"].criteria.all())
    client.force_login(teacher.user)
    url = reverse("course_assignment", args=[course.pk])
    response = client.post(url, {"text": ""})
    assert response.status_code == 400 and "请填写作业内容或上传附件" in titles_on(
        response
    )
    client.post(url, {"text": "第一稿"})
    submission = Submission.objects.get(enrolment=graded["enrolment"])

    client.force_login(trainer)
    grade_url = reverse("grade_submission", args=[submission.pk])
    assert "第一稿" in titles_on(client.get(grade_url))
    response = client.post(grade_url, {"action": "return", "feedback": ""})
    assert "请写明修改意见" in titles_on(response)
    client.post(grade_url, {"action": "return", "feedback": "请补充数据来源"})
    submission.refresh_from_db()
    assert submission.status == "returned"

    client.force_login(teacher.user)
    page = titles_on(client.get(url))
    assert "退回修改" in page and "请补充数据来源" in page
    client.post(url, {"text": "第二稿，补充了数据来源"})
    submission.refresh_from_db()
    assert (submission.status, submission.revision) == ("submitted", 2)

    client.force_login(trainer)
    response = client.post(
        grade_url, {f"c{c1.pk}": "11", f"c{c2.pk}": "5", "action": "grade"}
    )
    assert response.status_code == 400
    assert "确保该值小于或等于10" in titles_on(response) or "10" in titles_on(response)
    client.post(
        grade_url,
        {f"c{c1.pk}": "4", f"c{c2.pk}": "5", "feedback": "再努力", "action": "grade"},
    )
    submission.refresh_from_db()
    assert (submission.score, submission.passed) == (Decimal("9.0"), False)
    client.post(grade_url, {f"c{c1.pk}": "8", f"c{c2.pk}": "7.5", "action": "grade"})
    submission.refresh_from_db()
    assert (submission.score, submission.passed) == (Decimal("15.5"), True)

    changes = list(GradeChange.objects.filter(submission=submission).order_by("id"))
    assert [(c.source, c.old_score, c.new_score) for c in changes] == [
        ("return", None, None),
        ("rubric", None, Decimal("9.0")),
        ("rubric", Decimal("9.0"), Decimal("15.5")),
    ]
    assert all(c.changed_by_id == trainer.pk for c in changes)
    assert "9.0" in titles_on(client.get(grade_url))  # the history is shown

    client.force_login(teacher.user)
    page = titles_on(client.get(url))
    assert "成绩：15.5 分" in page and "合格" in page
    assert "已结业" in titles_on(client.get(course.url))
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


def test_uploads_are_checked(client, graded):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(graded["teacher"].user)
    url = reverse("course_assignment", args=[graded["course"].pk])
    fake = SimpleUploadedFile("plan.pdf", b"not a pdf at all", "application/pdf")
    response = client.post(url, {"text": "", "file": fake})
    assert response.status_code == 400 and "文件内容与扩展名不符" in titles_on(response)
    exe = SimpleUploadedFile("tool.exe", b"MZ...", "application/octet-stream")
    assert "只接受" in titles_on(client.post(url, {"file": exe}))
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4 test", "application/pdf")
    client.post(url, {"text": "", "file": pdf})
    submission = Submission.objects.get(enrolment=graded["enrolment"])
    assert submission.file_name == "plan.pdf"
    download = client.get(reverse("submission_file", args=[submission.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


# Offline scores


def sheet(rows) -> bytes:
    book = Workbook()
    page = book.active
    page.append(["工号", "课程编号", "成绩", "是否合格", "评语"])
    for row in rows:
        page.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_score_import_is_all_or_nothing_with_row_errors(client, graded):
    course, trainer = graded["course"], graded["trainer"]
    teacher = graded["teacher"]
    second = TeacherFactory()
    services.course_enrol(course=course, teacher=second)
    third = TeacherFactory()
    services.course_enrol(course=course, teacher=third)
    stranger = TeacherFactory()  # not enrolled
    other_course = make_course(lessons=0, rubric=graded["rubric"])  # not hers
    services.course_enrol(course=other_course, teacher=teacher)
    bad = sheet(
        [
            (teacher.staff_number, course.pk, 16, "", "线下研讨表现好"),
            (second.staff_number, course.pk, "十五", "", ""),
            (stranger.staff_number, course.pk, 12, "", ""),
            ("NOPE", course.pk, 12, "", ""),
            (teacher.staff_number, other_course.pk, 12, "", ""),
            (teacher.staff_number, course.pk, 25, "", ""),
            (third.staff_number, course.pk, 10, "也许", ""),
        ]
    )
    result = services.scores_import(by=trainer, name="scores.xlsx", data=bad)
    messages = {e["row"]: e["message"] for e in result.errors}
    assert set(messages) == {3, 4, 5, 6, 7, 8}
    assert "不是数字" in messages[3]
    assert "没有选修" in messages[4]
    assert "不存在" in messages[5]
    assert "不是课程" in messages[6]
    assert "重复" in messages[7]
    assert "合格" in messages[8]
    assert not Submission.objects.exists() and not GradeChange.objects.exists()

    client.force_login(trainer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("scores_import"),
        {"file": SimpleUploadedFile("scores.xlsx", bad)},
    )
    assert response.status_code == 400 and "第 3 行" in titles_on(response)

    good = sheet(
        [
            (teacher.staff_number, course.pk, 16, "", "线下研讨表现好"),
            (second.staff_number, course.pk, 8, "不合格", ""),
        ]
    )
    response = client.post(
        reverse("scores_import"), {"file": SimpleUploadedFile("scores.xlsx", good)}
    )
    assert response.status_code == 302
    mine = Submission.objects.get(enrolment__teacher=teacher, enrolment__course=course)
    assert (mine.score, mine.passed, mine.offline) == (Decimal("16.0"), True, True)
    assert mine.changes.get().source == "import"
    assert Enrolment.objects.get(teacher=teacher, course=course).status == "completed"
    theirs = Submission.objects.get(enrolment__teacher=second)
    assert theirs.passed is False


# Sessions


def test_check_in_counts_attendance_once(client, rules, trainer):
    course = make_course(lessons=0, sessions=1, trainers=[trainer])
    session = course.sessions.get()
    teacher = TeacherFactory()
    with pytest.raises(services.NotAllowed, match="请先报名"):
        services.session_register(session=session, teacher=teacher)
    services.course_enrol(course=course, teacher=teacher)
    client.force_login(teacher.user)
    url = reverse("session_check_in", args=[session.pk])
    response = client.post(url, {"code": "000000" if session.code != "000000" else "1"})
    assert response.status_code == 400 and "签到码不正确" in titles_on(response)
    assert "签到成功" in titles_on(client.post(url, {"code": session.code}))
    client.post(url, {"code": session.code})
    enrolment = Enrolment.objects.get(teacher=teacher)
    assert enrolment.sessions_attended == 1 and enrolment.status == "completed"

    client.force_login(trainer)
    screen = titles_on(client.get(reverse("session_screen", args=[session.pk])))
    assert session.code in screen and teacher.real_name in screen and "<svg" in screen
    csv_text = client.get(reverse("session_attendance_csv", args=[session.pk]))
    assert teacher.staff_number in csv_text.content.decode("utf-8-sig")

    late = make_course(lessons=0, sessions=1)
    late_session = late.sessions.get()
    late_session.starts_at = timezone.now() - datetime.timedelta(days=1)
    late_session.ends_at = late_session.starts_at + datetime.timedelta(hours=1)
    late_session.save()
    services.course_enrol(course=late, teacher=teacher)
    with pytest.raises(services.NotAllowed, match="不在签到时间内"):
        services.session_check_in(
            session=late_session, teacher=teacher, code=late_session.code
        )
    assert not SessionRegistration.objects.filter(
        session=late_session, checked_in_at__isnull=False
    ).exists()


# Who may see what


def test_trainers_see_only_their_courses_and_teachers_only_their_own(
    client, graded, trainer
):
    course, teacher = graded["course"], graded["teacher"]
    services.assignment_submit(enrolment=graded["enrolment"], text="本人作业正文")
    mine = Submission.objects.get()
    other_trainer = grant(UserFactory(), Role.TRAINER)
    other_course = make_course(
        lessons=0, rubric=graded["rubric"], trainers=[other_trainer]
    )
    neighbour = TeacherFactory(real_name="邻校教师")
    services.assignment_submit(
        enrolment=services.course_enrol(course=other_course, teacher=neighbour),
        text="邻校作业",
    )
    theirs = Submission.objects.exclude(pk=mine.pk).get()

    client.force_login(trainer)
    queue = titles_on(client.get(reverse("grading_queue")))
    assert teacher.real_name in queue and "邻校教师" not in queue
    assert client.get(reverse("grade_submission", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("submission_file", args=[theirs.pk])).status_code == 404
    c1, c2 = list(graded["rubric"].criteria.all())
    client.post(
        reverse("grade_submission", args=[theirs.pk]),
        {f"c{c1.pk}": "10", f"c{c2.pk}": "10", "action": "grade"},
    )
    theirs.refresh_from_db()
    assert theirs.status == "submitted"
    with pytest.raises(services.NotAllowed):
        services.submission_grade(
            submission=theirs, by=trainer, criterion_scores={c1.pk: 1, c2.pk: 1}
        )

    # A teacher cannot open another teacher's work, lessons or quiz.
    client.force_login(neighbour.user)
    assert client.get(reverse("submission_file", args=[mine.pk])).status_code == 404
    assert client.get(reverse("grade_submission", args=[mine.pk])).status_code == 404
    assert client.get(reverse("grading_queue")).status_code == 403
    page = titles_on(client.get(reverse("course_assignment", args=[other_course.pk])))
    assert "邻校作业" in page and "本人作业正文" not in page
    assert client.get(reverse("course_assignment", args=[course.pk])).status_code == 404
    # A trainer with no courses yet sees an empty queue, not an error.
    client.force_login(grant(UserFactory(), Role.TRAINER))
    assert "没有需要处理的作业" in titles_on(client.get(reverse("grading_queue")))


# Campaigns


def test_campaign_enrols_an_organisation_once_and_reports_per_school(
    client, rules, hr_dist_a, django_capture_on_commit_callbacks
):
    tree = rules
    course_a, course_b = (
        make_course(title="寒假研修一"),
        make_course(title="寒假研修二"),
    )
    client.force_login(hr_dist_a)
    new = reverse("campaign_new")
    # District B is not hers: it is not even offered.
    response = client.post(
        new,
        {"title": "越权", "organisation": tree["dist_b"].pk, "courses": [course_a.pk]},
    )
    assert response.status_code == 400
    from training.courses.models import Campaign

    assert not Campaign.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            new,
            {
                "title": "2027 寒假研修",
                "organisation": tree["dist_a"].pk,
                "courses": [course_a.pk, course_b.pk],
            },
        )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    status = client.get(reverse("campaign_status", args=[campaign.pk])).json()
    assert status == {
        "status": "done",
        "status_label": "已完成",
        "processed": 4,
        "total": 4,
        "enrolled": 8,
        "percent": 100,
    }
    assert Enrolment.objects.count() == 8
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("campaign_restart", args=[campaign.pk]))
        services.campaign_create(
            by=hr_dist_a,
            title="再来一次",
            organisation=tree["dist_a"],
            courses=[course_a],
        )
    assert Enrolment.objects.count() == 8

    teacher = tree["teachers"]["SA1"][0]
    enrolment = Enrolment.objects.get(teacher=teacher, course=course_a)
    for lesson in course_a.lessons.all():
        services.lesson_complete(enrolment=enrolment, lesson=lesson)
    page = titles_on(client.get(reverse("campaign_detail", args=[campaign.pk])))
    assert "东湖实验小学" in page and "西山中心小学" not in page
    assert "已结业 1 / 报名 8（12.5%）" in page
    assert "25.0%" in page  # 东湖实验小学: 1 of 4

    other_hr = grant(UserFactory(), Role.HR, tree["dist_b"])
    client.force_login(other_hr)
    assert client.get(reverse("campaign_detail", args=[campaign.pk])).status_code == 404
    assert "2027 寒假研修" not in titles_on(client.get(reverse("campaign_list")))
    client.force_login(teacher.user)
    assert client.get(reverse("campaign_list")).status_code == 403


def test_attendance_export_defuses_formulas(client, rules, trainer):
    course = make_course(lessons=0, sessions=1, trainers=[trainer])
    session = course.sessions.get()
    teacher = TeacherFactory(real_name='=HYPERLINK("http://x","点我")')
    services.course_enrol(course=course, teacher=teacher)
    services.session_register(session=session, teacher=teacher)
    client.force_login(trainer)
    text = client.get(reverse("session_attendance_csv", args=[session.pk]))
    body = text.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body
    template = client.get(reverse("scores_template"))
    assert template["Content-Disposition"].endswith('.xlsx"')


def test_course_page_says_what_completion_earns(client, rules):
    course = make_course(title="数据素养", hours=Decimal("8"), mode="online")
    # The platform default converts 0.1 学分 per 学时 of online courses.
    assert "结业可获 0.80 学分" in titles_on(client.get(course.url))
    teacher = TeacherFactory()
    client.force_login(teacher.user)
    assert "结业可获 0.80 学分" in titles_on(client.get(course.url))
