"""Taking the self-assessment: resume, skipped items, single submission,
versioning, retakes, the report and its PDF, and the HR aggregate."""

import datetime
import io
import subprocess
import threading

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.shared import pagecache
from tests.factories import TeacherFactory, UserFactory
from tests.factories.training import make_instrument
from training import services
from training.models import AssessmentAttempt, AssessmentResult, LearningResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def instrument():
    return make_instrument()


@pytest.fixture
def teacher():
    return TeacherFactory(real_name="林晓")


def answer_all(attempt, pattern=lambda position: 3):
    items = {i.pk: pattern(i.position) for i in attempt.instrument.items.all()}
    services.answers_save(attempt=attempt, answers=items)


def steps_of(client):
    response = client.get(reverse("assessment_step", args=[1]))
    return response.context["steps"]


class TestTaking:
    def test_a_teacher_resumes_where_she_left_off(self, client, instrument, teacher):
        client.force_login(teacher.user)
        response = client.post(reverse("assessment_start"))
        assert response["Location"] == reverse("assessment_step", args=[1])
        steps = steps_of(client)
        assert [s["dimension"].name for s in steps][:2] == [
            "数字化意识",
            "数字技术知识与技能",
        ]
        first = {f"item_{i.pk}": 4 for i in steps[0]["items"]}
        response = client.post(
            reverse("assessment_step", args=[1]), {**first, "action": "next"}
        )
        assert response["Location"] == reverse("assessment_step", args=[2])
        # She closes the browser mid-step after one autosaved click.
        one = steps[1]["items"][0]
        saved = client.post(
            reverse("assessment_autosave"),
            {"answers": {one.pk: 2}},
            content_type="application/json",
        ).json()
        assert saved == {"saved": 1, "answered": len(first) + 1}
        client.logout()
        client.force_login(teacher.user)
        response = client.post(reverse("assessment_start"))
        assert response["Location"] == reverse("assessment_step", args=[2])
        page = client.get(reverse("assessment_step", args=[2]))
        assert page.context["form"][f"item_{one.pk}"].value() == 2
        assert (
            f'value="2" id="id_item_{one.pk}_1" checked' in page.content.decode()
            or "checked" in page.content.decode()
        )
        assert AssessmentAttempt.objects.filter(teacher=teacher).count() == 1

    def test_a_skipped_item_gets_a_clear_message(self, client, instrument, teacher):
        client.force_login(teacher.user)
        client.post(reverse("assessment_start"))
        items = steps_of(client)[0]["items"]
        data = {f"item_{i.pk}": 3 for i in items[1:]}
        response = client.post(
            reverse("assessment_step", args=[1]), {**data, "action": "next"}
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "这一题还没有作答" in html
        assert html.count("这一题还没有作答") == 1
        # What she did answer was kept.
        assert AssessmentAttempt.objects.get().answers.count() == len(items) - 1

    def test_submitting_twice_makes_one_result(self, client, instrument, teacher):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        client.force_login(teacher.user)
        first = client.post(reverse("assessment_review"))
        second = client.post(reverse("assessment_review"))
        assert AssessmentResult.objects.filter(teacher=teacher).count() == 1
        result = AssessmentResult.objects.get()
        assert first["Location"] == reverse("assessment_result", args=[result.pk])
        assert second["Location"] == reverse("assessment_result", args=[result.pk])
        assert services.attempt_submit(attempt=attempt).pk == result.pk

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_submits_make_one_result(self):
        from django.db import connection

        from tests.factories.site import ensure_base_content

        if connection.vendor != "postgresql":
            pytest.skip("concurrency needs PostgreSQL")
        # An earlier transactional test may have flushed the framework away.
        ensure_base_content()
        make_instrument()
        teacher = TeacherFactory()
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        barrier = threading.Barrier(6)
        returned, errors = [], []

        def submit():
            from django.db import connection as conn

            try:
                fresh = AssessmentAttempt.objects.get(pk=attempt.pk)
                barrier.wait()
                returned.append(services.attempt_submit(attempt=fresh).pk)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                conn.close()

        threads = [threading.Thread(target=submit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        result = AssessmentResult.objects.get(teacher=teacher)
        assert returned == [result.pk] * 6
        assert AssessmentAttempt.objects.get(pk=attempt.pk).status == "submitted"

    def test_cannot_submit_with_gaps(self, client, instrument, teacher):
        attempt = services.attempt_start(teacher=teacher)
        services.answers_save(
            attempt=attempt, answers={attempt.instrument.items.first().pk: 3}
        )
        with pytest.raises(services.IncompleteAnswers):
            services.attempt_submit(attempt=attempt)
        client.force_login(teacher.user)
        html = client.get(reverse("assessment_review")).content.decode()
        assert "请先完成所有题目再提交" in html
        assert not AssessmentResult.objects.exists()

    def test_a_retake_with_gaps_leaves_the_last_result_the_latest(
        self, settings, instrument, teacher
    ):
        settings.ASSESSMENT_RETAKE_DAYS = "0"
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        first = services.attempt_submit(attempt=attempt)
        retake = services.attempt_start(teacher=teacher)
        services.answers_save(
            attempt=retake, answers={retake.instrument.items.first().pk: 3}
        )
        with pytest.raises(services.IncompleteAnswers):
            services.attempt_submit(attempt=retake)
        assert list(
            AssessmentResult.objects.filter(teacher=teacher, is_latest=True)
        ) == [first]
        assert AssessmentAttempt.objects.get(pk=retake.pk).status == "in_progress"

    def test_answers_after_submission_are_refused(self, instrument, teacher):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        services.attempt_submit(attempt=attempt)
        attempt.refresh_from_db()
        with pytest.raises(services.AttemptClosed):
            services.answers_save(attempt=attempt, answers={})

    def test_only_teachers_take_it(self, client, instrument):
        client.force_login(UserFactory())
        assert client.post(reverse("assessment_start")).status_code == 404
        assert (
            "面向已关联教师档案的教师"
            in client.get(reverse("assessment_home")).content.decode()
        )


class TestVersionsAndHistory:
    def test_revising_after_results_leaves_old_reports_unchanged(
        self, client, instrument, teacher
    ):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: 2)
        result = services.attempt_submit(attempt=attempt)
        client.force_login(teacher.user)
        before = client.get(
            reverse("assessment_result", args=[result.pk])
        ).content.decode()

        revised = services.instrument_revise(
            instrument=instrument,
            changes={
                "scoring": {**instrument.scoring, "cut_points": [1.5, 2.0, 2.5, 3.0]}
            },
            item_changes={
                1: {
                    "prompt": "全新的题干",
                    "descriptors": ["新1", "新2", "新3", "新4", "新5"],
                }
            },
        )
        assert revised.version == instrument.version + 1 and revised.is_current
        instrument.refresh_from_db()
        assert not instrument.is_current
        assert instrument.items.get(position=1).prompt != "全新的题干"
        result.refresh_from_db()
        assert result.instrument_id == instrument.pk
        after = client.get(
            reverse("assessment_result", args=[result.pk])
        ).content.decode()
        strip = lambda html: html.split('name="csrfmiddlewaretoken" value="')[0]  # noqa: E731
        assert strip(before) == strip(after)

    def test_revising_an_unused_instrument_edits_in_place(self, instrument):
        revised = services.instrument_revise(
            instrument=instrument, changes={"title": "新标题"}
        )
        assert revised.pk == instrument.pk and revised.version == instrument.version

    def test_retake_once_per_term_and_comparison(self, client, instrument, teacher):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: 2)
        first = services.attempt_submit(attempt=attempt)
        with pytest.raises(services.RetakeNotYet) as exc:
            services.attempt_start(teacher=teacher)
        assert exc.value.available_on > timezone.localdate()
        # Half a year later she may take it again.
        AssessmentResult.objects.filter(pk=first.pk).update(
            submitted_at=timezone.now() - datetime.timedelta(days=200)
        )
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: 4)
        second = services.attempt_submit(attempt=attempt)
        latest = AssessmentResult.objects.filter(teacher=teacher, is_latest=True)
        assert list(latest) == [second]
        # Submitting again changes nothing: the same result, still the latest.
        assert services.attempt_submit(attempt=attempt).pk == second.pk
        assert list(latest.all()) == [second]
        client.force_login(teacher.user)
        response = client.get(reverse("assessment_result", args=[second.pk]))
        dims = response.context["dimensions"]
        assert all(d["delta"] == 2 for d in dims)
        assert "较上次" in response.content.decode()

    def test_retake_interval_in_days_is_configurable(
        self, settings, instrument, teacher
    ):
        settings.ASSESSMENT_RETAKE_DAYS = "0"
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        services.attempt_submit(attempt=attempt)
        assert services.attempt_start(teacher=teacher).status == "in_progress"


class TestReport:
    def test_report_shows_weakest_and_recommendations(
        self, client, instrument, teacher, django_assert_max_num_queries
    ):
        # Weakest: positions 1-3 answered 1, everything else 4.
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: 1 if p <= 3 else 4)
        result = services.attempt_submit(attempt=attempt)
        weak = list(
            instrument.items.filter(position__lte=3).select_related("indicator")
        )
        resource = LearningResource.objects.create(
            title="学情分析工具实操", kind="course", url="https://example.org/course"
        )
        resource.indicators.add(weak[0].indicator)
        # A curated entry without a link leads nowhere: never recommended.
        LearningResource.objects.create(
            title="无处可去的课程", kind="course"
        ).indicators.add(weak[0].indicator)
        unrelated = LearningResource.objects.create(title="无关课程", kind="course")
        unrelated.indicators.add(instrument.items.get(position=20).indicator)
        client.force_login(teacher.user)
        client.get(
            reverse("assessment_result", args=[result.pk])
        )  # warm up first: one-off per-process queries
        pagecache.teacher_changed(teacher.pk)  # rendered afresh, not kept
        with django_assert_max_num_queries(10):
            response = client.get(reverse("assessment_result", args=[result.pk]))
        with django_assert_max_num_queries(5):  # kept rendered: the same page
            kept = client.get(reverse("assessment_result", args=[result.pk]))
        assert "学情分析工具实操" in kept.content.decode()
        html = response.content.decode()
        assert [w["code"] for w in response.context["weakest"]] == [
            i.indicator.code for i in weak
        ]
        assert "<svg" in html and "五个维度的水平雷达图" in html
        assert "学情分析工具实操" in html and "无关课程" not in html
        assert "无处可去的课程" not in html
        # What the next level looks like, for a weak indicator.
        assert f"{weak[0].indicator.code} 水平2的做法" in html

    def test_report_recommends_open_catalogue_courses_she_does_not_take(
        self, client, instrument, teacher
    ):
        import datetime

        from django.utils import timezone

        from tests.factories.courses import make_course
        from training.courses.services import course_enrol

        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: 1 if p <= 3 else 4)
        result = services.attempt_submit(attempt=attempt)
        weak = instrument.items.get(position=1).indicator
        course = make_course(title="精准教学的学情分析", indicators=[weak.code])
        taken = make_course(title="她已在学的课程", indicators=[weak.code])
        course_enrol(course=taken, teacher=teacher)
        make_course(
            title="报名已截止的课程",
            indicators=[weak.code],
            enrol_closes=timezone.localdate() - datetime.timedelta(days=1),
        )
        from cms.studios.models import Activity
        from cms.studios.services import studio_create

        studio = studio_create(
            title="数据教学工作室",
            kind="名师",
            leader=TeacherFactory().user,
            region=teacher.school,
        )
        soon = timezone.now() + datetime.timedelta(days=3)
        for title, starts in (
            ("数据分析集体备课", soon),
            ("上学期的听评课", soon - datetime.timedelta(days=90)),
        ):
            activity = Activity.objects.create(
                studio=studio,
                title=title,
                kind="集体备课",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=2),
                place="会议室",
            )
            activity.indicators.add(weak)
        client.force_login(teacher.user)
        html = client.get(
            reverse("assessment_result", args=[result.pk])
        ).content.decode()
        assert "精准教学的学情分析" in html and f'href="{course.url}"' in html
        assert "她已在学的课程" not in html and "报名已截止的课程" not in html
        assert "数据分析集体备课" in html and "上学期的听评课" not in html

    def test_someone_elses_report_is_not_found(self, client, instrument, teacher):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        result = services.attempt_submit(attempt=attempt)
        client.force_login(TeacherFactory().user)
        assert (
            client.get(reverse("assessment_result", args=[result.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("assessment_result_pdf", args=[result.pk])).status_code
            == 404
        )

    def test_pdf_has_searchable_chinese(self, client, instrument, teacher, tmp_path):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt)
        result = services.attempt_submit(attempt=attempt)
        client.force_login(teacher.user)
        response = client.get(reverse("assessment_result_pdf", args=[result.pk]))
        assert response["Content-Type"] == "application/pdf"
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(response.content)
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "教师数字素养自我测评报告" in text
        assert "林晓" in text and "数字化意识" in text
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True
        ).stdout
        assert "+" in fonts.split("\n", 2)[2]  # a subset-embedded font
        assert io.BytesIO(response.content).getvalue().startswith(b"%PDF")


class TestOrganisationView:
    def finish(self, teacher, value):
        attempt = services.attempt_start(teacher=teacher)
        answer_all(attempt, lambda p: value)
        services.attempt_submit(attempt=attempt)

    def test_distribution_hides_small_groups_and_other_organisations(
        self, client, instrument, district_tree, hr_dist_a
    ):
        a1, a2, b1 = (district_tree[k] for k in ("school_a1", "school_a2", "school_b1"))
        for i in range(6):
            self.finish(TeacherFactory(school=a1), 4 if i < 2 else 2)
        for _ in range(3):
            self.finish(TeacherFactory(school=a2), 5)
        for _ in range(7):
            self.finish(TeacherFactory(school=b1), 1)
        client.force_login(hr_dist_a)
        response = client.get(reverse("org_assessment"))
        dist = response.context["distribution"]
        assert dist["total"] == 9  # 6 + 3, nobody from district B
        # Dimension 1: two teachers at 熟练 (4), four at 发展 (2), three at 引领 (5).
        assert dist["table"][0]["levels"] == [0, 4, 0, 2, 3]
        small = next(s for s in dist["schools"] if s["name"] == a2.name)
        assert small["hidden"] and "table" not in small
        html = response.content.decode()
        assert b1.name not in html
        csv_text = client.get(reverse("org_assessment_csv")).content.decode("utf-8-sig")
        assert b1.name not in csv_text and "人数少于 5 人" in csv_text

    def test_teachers_cannot_see_the_distribution(self, client, instrument, teacher):
        client.force_login(teacher.user)
        assert client.get(reverse("org_assessment")).status_code == 403


class TestQueryBudgets:
    def test_distribution_page_does_not_grow_with_results(
        self,
        client,
        instrument,
        district_tree,
        hr_dist_a,
        django_assert_max_num_queries,
        django_capture_on_commit_callbacks,
    ):
        school = district_tree["school_a1"]

        def add(n):
            # Committed submissions invalidate the cached distribution.
            with django_capture_on_commit_callbacks(execute=True):
                for _ in range(n):
                    attempt = services.attempt_start(
                        teacher=TeacherFactory(school=school)
                    )
                    answer_all(attempt)
                    services.attempt_submit(attempt=attempt)

        client.force_login(hr_dist_a)
        add(5)
        client.get(
            reverse("org_assessment")
        )  # warm up first: one-off per-process queries
        # 6 from the cache; 11 when new teachers' results make it count again
        # (and read the school choices again).
        with django_assert_max_num_queries(6):
            client.get(reverse("org_assessment"))
        add(10)
        with django_assert_max_num_queries(11):
            response = client.get(reverse("org_assessment"))
        assert response.context["distribution"]["total"] == 15
        # An erased teacher's result leaves the cached figures at once.
        from portfolios.services import teacher_data_erase

        gone = AssessmentResult.objects.filter(teacher__school=school).first()
        with django_capture_on_commit_callbacks(execute=True):
            teacher_data_erase(gone.teacher)
        response = client.get(reverse("org_assessment"))
        assert response.context["distribution"]["total"] == 14

    def test_assessment_home_does_not_grow_with_history(
        self, client, settings, instrument, teacher, django_assert_max_num_queries
    ):
        settings.ASSESSMENT_RETAKE_DAYS = "0"
        client.force_login(teacher.user)
        for _ in range(4):
            attempt = services.attempt_start(teacher=teacher)
            answer_all(attempt)
            services.attempt_submit(attempt=attempt)
        client.get(
            reverse("assessment_home")
        )  # warm up first: one-off per-process queries
        with django_assert_max_num_queries(5):
            response = client.get(reverse("assessment_home"))
        assert response.content.decode().count("查看报告") == 4
        # Rendered afresh (not kept): flat too.
        from cms.shared import pagecache

        pagecache.teacher_changed(teacher.pk)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("assessment_home"))
        assert response.content.decode().count("查看报告") == 4

    def test_report_does_not_grow_with_history(
        self, client, settings, instrument, teacher
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        settings.ASSESSMENT_RETAKE_DAYS = "0"
        client.force_login(teacher.user)

        def take(level):
            attempt = services.attempt_start(teacher=teacher)
            answer_all(attempt, lambda p: level)
            return services.attempt_submit(attempt=attempt)

        def report_queries(result):
            client.get(
                reverse("assessment_result", args=[result.pk])
            )  # warm up first: one-off per-process queries
            pagecache.teacher_changed(teacher.pk)  # rendered afresh, not kept
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("assessment_result", args=[result.pk]))
            assert response.status_code == 200
            return len(ctx.captured_queries), response

        take(2)
        second = take(3)
        few, _ = report_queries(second)
        for level in (1, 2, 4, 5):
            latest = take(level)
        many, response = report_queries(latest)
        assert many == few
        # The comparison is with the result just before it (level 4 -> 5).
        assert all(d["delta"] == 1 for d in response.context["dimensions"])


def test_platform_admin_curates_learning_resources_in_wagtail(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/snippets/training/learningresource/")
    assert response.status_code == 200
    assert (
        client.get("/admin/snippets/training/learningresource/add/").status_code == 200
    )
