"""What goes wrong in real use: a trainer who also takes her own course, a
double click on a first hand-in, a campaign whose worker died, requirements
met at the same moment, an author removing a lesson, and bad input that must
get a clear answer instead of a server error."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import Role
from credits.models import CreditRecord
from tests.factories import TeacherFactory, grant
from tests.factories.courses import make_course, make_rubric
from tests.training.test_courses import sheet
from training.courses import services
from training.courses.models import (
    Campaign,
    Enrolment,
    QuizAttempt,
    Submission,
)

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


# Trainers and their own work


def test_a_trainer_never_grades_her_own_work(client, rules):
    rubric = make_rubric(criteria=((10, "3.1.1"),))
    colleague = grant(TeacherFactory().user, Role.TRAINER)
    trainer_teacher = TeacherFactory(real_name="韩老师")
    grant(trainer_teacher.user, Role.TRAINER)
    course = make_course(
        lessons=0, rubric=rubric, trainers=[trainer_teacher.user, colleague]
    )
    enrolment = services.course_enrol(course=course, teacher=trainer_teacher)
    submission = services.assignment_submit(enrolment=enrolment, text="我的作业")
    (criterion,) = rubric.criteria.all()

    client.force_login(trainer_teacher.user)
    url = reverse("grade_submission", args=[submission.pk])
    response = client.post(url, {f"c{criterion.pk}": "10", "action": "grade"})
    assert response.status_code == 400 and "不能批改自己的作业" in text_of(response)
    response = client.post(url, {"action": "return", "feedback": "改"})
    assert "不能批改自己的作业" in text_of(response)
    # Nor through the offline score sheet.
    data = sheet([(trainer_teacher.staff_number, course.pk, 95, "合格", "")])
    result = services.scores_import(by=trainer_teacher.user, name="s.xlsx", data=data)
    assert [e["message"] for e in result.errors] == ["不能为自己录入成绩。"]
    submission.refresh_from_db()
    assert submission.status == "submitted" and submission.score is None
    assert not CreditRecord.objects.filter(teacher=trainer_teacher).exists()

    # Another trainer of the course grades it.
    services.submission_grade(
        submission=submission, by=colleague, criterion_scores={criterion.pk: "9"}
    )
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"


# Double clicks and stale copies


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_the_first_hand_in_makes_one_submission(rules, trainer):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL")
    course = make_course(lessons=0, rubric=make_rubric(), trainers=[trainer])
    enrolment = services.course_enrol(course=course, teacher=TeacherFactory())
    barrier = threading.Barrier(4)
    errors = []

    def hand_in():
        from django.db import connection as conn

        try:
            fresh = Enrolment.objects.select_related("course").get(pk=enrolment.pk)
            barrier.wait()
            services.assignment_submit(enrolment=fresh, text="同一份作业")
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=hand_in) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Submission.objects.filter(enrolment=enrolment).count() == 1


def test_the_last_two_requirements_met_at_once_complete_the_course(rules):
    """The lesson request still holds a copy loaded before the check-in
    landed; completion reads the row, not the copy."""
    course = make_course(lessons=1, sessions=1)
    teacher = TeacherFactory()
    enrolment = services.course_enrol(course=course, teacher=teacher)
    stale = Enrolment.objects.select_related("course").get(pk=enrolment.pk)
    session = course.sessions.get()
    services.session_check_in(session=session, teacher=teacher, code=session.code)
    enrolment.refresh_from_db()
    assert enrolment.sessions_attended == 1 and enrolment.status == "enrolled"

    services.lesson_complete(enrolment=stale, lesson=course.lessons.get())
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


def test_removing_a_lesson_completes_those_who_finished_the_rest(
    client, rules, django_capture_on_commit_callbacks
):
    course = make_course(lessons=2)
    teacher = TeacherFactory()
    enrolment = services.course_enrol(course=course, teacher=teacher)
    first, second = list(course.lessons.all())
    services.lesson_complete(enrolment=enrolment, lesson=first)
    enrolment.refresh_from_db()
    assert enrolment.status == "enrolled"

    # The author drops the second lesson and publishes the course.
    page = course.specific.get_latest_revision_as_object()
    page.lessons = [lesson for lesson in page.lessons.all() if lesson.pk == first.pk]
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    enrolment.refresh_from_db()
    assert enrolment.status == "completed" and enrolment.lessons_done == 1
    client.force_login(teacher.user)
    assert "1/1 课时" in text_of(client.get(reverse("my_learning")))


# Campaigns whose worker died


def test_a_campaign_whose_worker_died_can_be_run_again(
    client, rules, hr_dist_a, django_capture_on_commit_callbacks
):
    tree = rules
    course = make_course(title="暑期研修")
    campaign = Campaign.objects.create(
        title="2027 暑期研修", organisation=tree["dist_a"], created_by=hr_dist_a
    )
    campaign.courses.set([course])
    # Claimed by a worker that is still reporting: nobody else takes it.
    Campaign.objects.filter(pk=campaign.pk).update(
        status="running", heartbeat_at=timezone.now()
    )
    assert services.campaign_run(campaign_id=campaign.pk).status == "running"
    assert not Enrolment.objects.exists()
    client.force_login(hr_dist_a)
    detail = reverse("campaign_detail", args=[campaign.pk])
    assert "停止响应" not in text_of(client.get(detail))
    client.post(reverse("campaign_restart", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "running"

    # The worker was killed: the heartbeat stops.
    Campaign.objects.filter(pk=campaign.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    page = text_of(client.get(detail))
    assert "后台报名已停止响应" in page and "再次运行" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("campaign_restart", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "done" and campaign.processed == 4
    assert Enrolment.objects.filter(course=course).count() == 4
    # A redelivered task for the same campaign enrols nobody twice.
    Campaign.objects.filter(pk=campaign.pk).update(
        status="running", heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    services.campaign_run(campaign_id=campaign.pk)
    assert Enrolment.objects.filter(course=course).count() == 4


# Reloading and coming back


def test_reloading_a_quiz_result_does_not_submit_again(client, rules):
    course = make_course(lessons=0, questions=[("甲\n乙", "A")])
    teacher = TeacherFactory()
    enrolment = services.course_enrol(course=course, teacher=teacher)
    (question,) = course.questions.all()
    client.force_login(teacher.user)
    url = reverse("course_quiz", args=[course.pk])
    response = client.post(url, {f"q{question.pk}": "B"})
    assert response.status_code == 302
    page = text_of(client.get(response["Location"]))
    assert "未达到合格线" in page and "再测一次" in page
    client.get(response["Location"])  # reload
    assert QuizAttempt.objects.filter(enrolment=enrolment).count() == 1

    # Someone else's attempt id shows nothing of it.
    other = TeacherFactory()
    services.course_enrol(course=course, teacher=other)
    client.force_login(other.user)
    page = text_of(client.get(response["Location"]))
    assert "未达到合格线" not in page and 'id="quiz-form"' in page


def test_the_check_in_page_remembers_she_is_checked_in(client, rules):
    course = make_course(lessons=0, sessions=1)
    teacher = TeacherFactory()
    services.course_enrol(course=course, teacher=teacher)
    session = course.sessions.get()
    client.force_login(teacher.user)
    url = reverse("session_check_in", args=[session.pk])
    assert 'id="check-in-form"' in text_of(client.get(url))
    client.post(url, {"code": session.code})
    page = text_of(client.get(url))
    assert "签到成功" in page and 'id="check-in-form"' not in page


def test_grade_history_and_failed_work_read_in_chinese(client, graded):
    course, trainer = graded["course"], graded["trainer"]
    c1, c2 = list(graded["rubric"].criteria.all())
    submission = services.assignment_submit(enrolment=graded["enrolment"], text="稿")
    services.submission_grade(
        submission=submission, by=trainer, criterion_scores={c1.pk: 1, c2.pk: 1}
    )
    client.force_login(trainer)
    history = text_of(client.get(reverse("grade_submission", args=[submission.pk])))
    table = history.split('id="grade-history"')[1]
    assert "已评分" in table and "graded" not in table.replace('"graded"', "")
    client.force_login(graded["teacher"].user)
    page = text_of(client.get(reverse("course_assignment", args=[course.pk])))
    assert "不合格" in page and "请联系本课程的培训者退回修改" in page


# Bad input gets a clear answer


def test_bad_input_gets_a_clear_answer_not_a_server_error(client, graded, settings):
    course, trainer = graded["course"], graded["trainer"]
    video_course = make_course(lessons=0, video=1)
    teacher = graded["teacher"]
    services.course_enrol(course=video_course, teacher=teacher)
    video = video_course.lessons.get()
    client.force_login(teacher.user)
    progress = reverse("course_lesson_progress", args=[video_course.pk, video.pk])
    for position in ("nan", "inf", "-inf", "abc", ""):
        response = client.post(progress, {"position": position})
        assert response.status_code == 400, position
        assert response.json()["error"] == "播放位置无效。"
    # A video lesson the author left without a duration.
    type(video).objects.filter(pk=video.pk).update(duration_seconds=None)
    response = client.post(progress, {"position": "10"})
    assert response.status_code == 400 and response.json()["error"]

    client.force_login(trainer)
    queue = reverse("grading_queue")
    for value in ("²", "abc", "-1", "99999999999999999999"):
        assert client.get(queue, {"course": value}).status_code == 200, value
    response = client.get(queue, {"status": "graded"})
    assert "没有符合筛选条件的作业" in text_of(response)

    data = sheet([(teacher.staff_number, course.pk, "NaN", "", "")])
    result = services.scores_import(by=trainer, name="s.xlsx", data=data)
    assert [e["message"] for e in result.errors] == ["成绩“NaN”不是数字。"]
    data = sheet([(teacher.staff_number, "²", 80, "", "")])
    result = services.scores_import(by=trainer, name="s.xlsx", data=data)
    assert [e["message"] for e in result.errors] == ["课程编号“²”不存在。"]

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TEACHER_IMPORT_MAX_BYTES = 1000
    big = SimpleUploadedFile("s.csv", b"x" * 2000, "text/csv")
    response = client.post(reverse("scores_import"), {"file": big})
    assert response.status_code == 200 and "文件过大" in text_of(response)
    assert Submission.objects.filter(score__isnull=False).count() == 0
    assert Decimal(0) == sum(
        CreditRecord.objects.filter(teacher=teacher).values_list("hours", flat=True)
    )


def test_the_check_in_code_cannot_be_guessed_by_trying_them_all(client, rules):
    course = make_course(lessons=0, sessions=1)
    teacher = TeacherFactory()
    services.course_enrol(course=course, teacher=teacher)
    session = course.sessions.get()
    wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != session.code]
    for code in wrong[: services.CHECK_IN_MAX_FAILURES]:
        with pytest.raises(services.NotAllowed, match="签到码不正确"):
            services.session_check_in(session=session, teacher=teacher, code=code)
    # Now even the right code waits, and says why.
    client.force_login(teacher.user)
    url = reverse("session_check_in", args=[session.pk])
    response = client.post(url, {"code": session.code})
    assert response.status_code == 400 and "错误次数过多" in text_of(response)
    assert not Enrolment.objects.get(teacher=teacher).sessions_attended
    # Another teacher at the same session is not held up.
    other = TeacherFactory()
    services.course_enrol(course=course, teacher=other)
    services.session_check_in(session=session, teacher=other, code=session.code)
