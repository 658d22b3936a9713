"""The catalogue in the browser: a teacher finds a course by a Chinese keyword on
her phone, enrols, learns the lessons, passes the quiz and hands in the
assignment; the trainer grades it with the rubric; she sees the grade, her
completion and the credit. HR run a campaign and watch it finish; a trainer's
check-in screen and a teacher's check-in."""

import datetime

import pytest
from playwright.sync_api import expect

from cms.accounts.models import Role
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from tests.factories import OrganisationFactory, TeacherFactory, UserFactory, grant
from tests.factories.courses import make_course, make_rubric
from training.courses.models import Enrolment, SessionRegistration
from training.courses.services import course_enrol

from .conftest import PHONE
from .test_credits_journey import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUIZ = [("只看平均分\n看每题得分率\n看座位表", "B"), ("甲\n乙\n丙", "AC")]


@pytest.fixture
def viewport():
    return PHONE


def rules():
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"page is {width}px wide on a phone"


def test_find_enrol_learn_quiz_submit_graded_completed(page):
    rules()
    school = OrganisationFactory(name="东湖实验小学")
    teacher = TeacherFactory(real_name="林晓", school=school)
    trainer = grant(UserFactory(first_name="培训者"), Role.TRAINER)
    rubric = make_rubric(criteria=((10, "3.1.1"), (10, "3.3.2")), pass_percent=60)
    course = make_course(
        title="数据驱动的精准教学",
        summary="用作业数据做学情分析",
        lessons=2,
        questions=QUIZ,
        rubric=rubric,
        trainers=[trainer],
        hours=8,
    )
    make_course(title="教师心理健康自我调适", summary="压力管理")

    # She searches the catalogue for 数据 on her phone.
    log_in(page, teacher.user.email)
    page.goto("/courses/")
    page.get_by_label("搜索").fill("数据")
    page.get_by_role("button", name="查找").click()
    results = page.locator("#course-list")
    expect(results).to_contain_text("数据驱动的精准教学")
    expect(results).not_to_contain_text("教师心理健康自我调适")
    no_sideways_scroll(page)
    results.get_by_role("link", name="数据驱动的精准教学").click()
    page.get_by_role("button", name="报名学习").click()
    expect(page.locator(".messages")).to_contain_text("报名成功")
    expect(page.locator("#missing")).to_contain_text("学完全部课时（已学 0/2）")
    no_sideways_scroll(page)

    # Lessons, one after the other.
    page.locator("#syllabus").get_by_role("link", name="课时1").click()
    page.get_by_role("button", name="我已学完，进入下一课时").click()
    expect(page.locator("h1")).to_have_text("课时2")
    no_sideways_scroll(page)
    page.get_by_role("button", name="我已学完，进入下一课时").click()
    expect(page.locator("#syllabus")).to_contain_text("已学完")
    expect(page.locator("#missing")).not_to_contain_text("学完全部课时")

    # The quiz: a skipped question is named; then all correct.
    page.locator("#quiz-link").click()
    page.get_by_role("button", name="提交测验").click()
    expect(page.locator("[role=alert]")).to_contain_text("还有题目未作答")
    page.get_by_label("B. 看每题得分率").check()
    page.get_by_label("A. 甲").check()
    page.get_by_label("C. 丙").check()
    page.get_by_role("button", name="提交测验").click()
    expect(page.locator("#quiz-result")).to_contain_text("测验通过")
    expect(page.locator("#quiz-result")).to_contain_text("得分 2/2")

    # The assignment.
    page.goto(course.url)
    page.locator("#assignment-link").click()
    page.get_by_label("作业内容").fill(
        "我的教学设计：先用前测数据分组，再布置分层任务。"
    )
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".messages")).to_contain_text("作业已提交")
    expect(page.locator("#submission-status")).to_contain_text("待批改")
    log_out(page)

    # The trainer grades it with the rubric.
    log_in(page, trainer.email)
    page.locator("header").get_by_role("link", name="作业批改").click()
    queue = page.locator("#queue")
    expect(queue).to_contain_text("林晓")
    queue.get_by_role("link", name="批改").click()
    expect(page.locator("#submission-text")).to_contain_text("先用前测数据分组")
    page.get_by_label("维度1（3.1.1 开展学情分析）").fill("9")
    page.get_by_label("维度2（3.3.2 应用数据分析模型进行学业数据分析）").fill("7")
    page.get_by_label("评语").fill("分组依据清楚，建议补充后测。")
    page.get_by_role("button", name="保存评分").click()
    expect(page.locator(".messages")).to_contain_text("评分已保存")
    expect(page.locator("main")).to_contain_text("没有需要处理的作业")
    log_out(page)

    # She sees her grade, her completion and the credit.
    log_in(page, teacher.user.email)
    page.goto(course.url)
    expect(page.locator("#completed-badge")).to_have_text("已结业")
    page.locator("#assignment-link").click()
    expect(page.locator("#grade")).to_contain_text("成绩：16.0 分")
    expect(page.locator("#submission-status")).to_contain_text("建议补充后测")
    page.goto("/learn/")
    expect(page.locator("#my-courses")).to_contain_text("已结业")
    page.goto("/credits/")
    expect(page.locator("main")).to_contain_text("数据驱动的精准教学")
    no_sideways_scroll(page)
    assert CreditRecord.objects.filter(teacher=teacher).count() == 1


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}])
def test_campaign_and_session_check_in(page, viewport):
    rules()
    district = OrganisationFactory(name="东湖区", kind="district")
    school_a = OrganisationFactory(name="东湖实验小学", parent=district)
    school_b = OrganisationFactory(name="东湖第一中学", parent=district)
    teachers = [TeacherFactory(school=school_a) for _ in range(3)]
    teachers += [TeacherFactory(school=school_b) for _ in range(2)]
    hr = grant(UserFactory(), Role.HR, district)
    trainer = grant(UserFactory(), Role.TRAINER)
    course = make_course(
        title="寒假研修：数字化教学设计", lessons=0, sessions=1, trainers=[trainer]
    )

    # HR enrol the whole district in one action.
    log_in(page, hr.email)
    page.locator("header").get_by_role("link", name="研修项目").click()
    page.get_by_role("link", name="发起研修项目").click()
    page.get_by_label("项目名称").fill("2027 寒假研修")
    page.get_by_label("参训单位").select_option(label="东湖区")
    page.get_by_label("课程").select_option(label="寒假研修：数字化教学设计")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="开始报名").click()
    expect(page.locator("#campaign-status")).to_have_text("已完成")
    expect(page.locator("#campaign-progress")).to_contain_text("5 / 5")
    expect(page.locator("#per-school")).to_contain_text("东湖第一中学")
    assert Enrolment.objects.filter(course=course).count() == 5
    log_out(page)

    # The trainer shows the code; a teacher checks in with it.
    session = course.sessions.get()
    log_in(page, trainer.email)
    page.goto(f"/learn/sessions/{session.pk}/screen/")
    expect(page.locator("#code")).to_have_text(session.code)
    expect(page.locator("#check-in-code svg")).to_be_visible()
    log_out(page)
    learner = teachers[0]
    log_in(page, learner.user.email)
    page.goto(course.url)
    page.locator("#sessions").get_by_role("button", name="报名该场次").click()
    page.locator("#sessions").get_by_role("link", name="签到").click()
    page.get_by_label("签到码（6 位数字）").fill(
        "000000" if session.code != "000000" else "1"
    )
    page.get_by_role("button", name="签到").click()
    expect(page.locator("#check-in-error")).to_contain_text("签到码不正确")
    page.get_by_label("签到码（6 位数字）").fill(session.code)
    page.get_by_role("button", name="签到").click()
    expect(page.locator("#checked-in")).to_contain_text("签到成功")
    page.goto(course.url)
    expect(page.locator("#completed-badge")).to_have_text("已结业")
    log_out(page)
    log_in(page, trainer.email)
    page.goto(f"/learn/sessions/{session.pk}/screen/")
    row = page.locator("#attendance tr", has_text=learner.real_name)
    expect(row).not_to_contain_text("未签到")
    assert SessionRegistration.objects.get(teacher=learner).checked_in_at is not None
    assert course_enrol(course=course, teacher=learner).status == "completed"
