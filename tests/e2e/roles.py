"""Shared pieces of the per-role browser journeys (tests/e2e/test_role_*.py).

Each journey starts on the role's dashboard and reaches each of that role's
features by clicking, at desktop and phone sizes. Every screen it reaches is
kept as a screenshot under var/e2e-screenshots/ (the CI artefacts), and the key
pages are checked with axe-core (from npm, tests/e2e/axe/package-lock.json,
installed by `make test-deps`): no serious or critical violation."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "e2e-screenshots"
AXE_JS = (
    Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
)
SIZES = {"desktop": DESKTOP, "phone": PHONE}
BLOCKING = ("serious", "critical")


def viewport_fixture():
    """A `viewport` fixture running each journey at desktop and phone size."""

    @pytest.fixture(params=list(SIZES), ids=list(SIZES))
    def viewport(request):
        return SIZES[request.param]

    return viewport


def size_name(page) -> str:
    return "phone" if page.viewport_size["width"] < 700 else "desktop"


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def shoot(page, role: str, step: str) -> Path:
    """A full-page screenshot: var/e2e-screenshots/<role>-<size>-<step>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{role}-{size_name(page)}-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_check(page, what: str) -> None:
    """Run axe-core on the current page; fail on serious or critical issues."""
    if not AXE_JS.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE_JS}): run `make test-deps` "
            "(npm ci in tests/e2e/axe)"
        )
    # Evaluated through the browser's devtools protocol, not added as an
    # inline <script>: the page's Content-Security-Policy (rightly) blocks
    # those, and the journeys fail on any CSP violation.
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
            }));
        }"""
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {what} ({page.url}):\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}"
        for v in blocking
    )


def visit(page, role: str, step: str, *, axe: bool = False) -> None:
    """After a click: the page loaded without a server error; keep a
    screenshot; check accessibility on key pages."""
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("main h1").first).to_be_visible()
    assert "Server Error" not in page.title()
    shoot(page, role, step)
    if axe:
        axe_check(page, f"{role} {step}")


def back_to_dashboard(page) -> None:
    page.locator("header").get_by_role("link", name="工作台", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def radar_labels_fit(page) -> None:
    """Every label of the radar chart lies inside the drawn picture."""
    outside = page.evaluate(
        """() => {
            const svg = document.querySelector('svg.radar');
            if (!svg) return ['no radar'];
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].filter(t => {
                const r = t.getBoundingClientRect();
                return r.left < box.left - 1 || r.right > box.right + 1 ||
                       r.top < box.top - 1 || r.bottom > box.bottom + 1;
            }).map(t => t.textContent);
        }"""
    )
    assert not outside, f"radar labels clipped: {outside}"


# --- one small district where every role has something to do -------------------


def seed_world() -> dict:
    """A district with two schools, a teacher with an assessment, credits and
    a course in progress; a trainer with a course, a session today and work to
    grade; a studio leader with members, an application and an activity
    happening now; school and district HR; a platform admin."""
    from cms.accounts.models import OrganisationKind, Role
    from cms.studios import services as studio_services
    from cms.studios.models import Activity, Membership
    from credits.models import CreditRuleSet
    from credits.rules import DEFAULT_CONFIG
    from credits.services import credit_record_append
    from tests.factories import (
        OrganisationFactory,
        TeacherFactory,
        UserFactory,
        grant,
        hr_user,
    )
    from tests.factories.courses import make_course, make_rubric
    from tests.factories.training import make_instrument
    from training import services as training_services
    from training.courses import services as course_services

    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用：五年一周期 360 学时", "config": DEFAULT_CONFIG},
    )
    instrument = make_instrument()
    city = OrganisationFactory(name="临江市", kind=OrganisationKind.CITY)
    district = OrganisationFactory(
        name="东湖区", kind=OrganisationKind.DISTRICT, parent=city
    )
    school = OrganisationFactory(name="东湖实验小学", parent=district)
    other_school = OrganisationFactory(name="东湖第一中学", parent=district)
    teacher = TeacherFactory(real_name="林晓", school=school)
    colleagues = [TeacherFactory(school=school) for _ in range(5)]
    leader = TeacherFactory(real_name="张名师", school=other_school)
    grant(leader.user, Role.STUDIO_LEADER, other_school)
    trainer = grant(UserFactory(first_name="培训者"), Role.TRAINER)
    admin = grant(UserFactory(), Role.PLATFORM_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save()

    # Her self-assessment: weakest on the first items.
    attempt = training_services.attempt_start(teacher=teacher)
    training_services.answers_save(
        attempt=attempt,
        answers={
            i.pk: 1 if i.position <= 3 else 3 for i in attempt.instrument.items.all()
        },
    )
    training_services.attempt_submit(attempt=attempt)
    weak = instrument.items.get(position=1).indicator
    for n, colleague in enumerate(colleagues):
        a = training_services.attempt_start(teacher=colleague)
        training_services.answers_save(
            attempt=a, answers={i.pk: 2 + n % 3 for i in a.instrument.items.all()}
        )
        training_services.attempt_submit(attempt=a)

    credit_record_append(
        teacher=teacher,
        kind="online_course",
        category="信息技术应用",
        source_type="training.course",
        source_title="人工智能助力课堂教学",
        hours=Decimal(12),
        earned_on=timezone.localdate(),
        idempotency_key="roles:1",
    )

    course = make_course(
        title="数据驱动的精准教学",
        lessons=2,
        sessions=1,
        indicators=[weak.code],
        trainers=[trainer],
        rubric=make_rubric(),
        assignment_brief="<p>提交一份教学设计。</p>",
    )
    make_course(title="数字化教学设计", lessons=1, indicators=[weak.code])
    # A colleague's assignment waits for the trainer.
    enrolment = course_services.course_enrol(course=course, teacher=colleagues[0])
    course_services.assignment_submit(
        enrolment=enrolment, text="我的教学设计：用数据找卡点。", upload=None
    )

    studio = studio_services.studio_create(
        title="数据驱动名师工作室",
        kind="名师",
        leader=leader.user,
        region=district,
        subject="数学",
        research_direction="利用学业数据改进教学",
    )
    Membership.objects.create(
        studio=studio, teacher=teacher, status=Membership.Status.ACTIVE
    )
    Membership.objects.create(
        studio=studio, teacher=colleagues[1], status=Membership.Status.APPLIED
    )
    now = timezone.now()
    activity = Activity.objects.create(
        studio=studio,
        title="听评课：数据看板进课堂",
        kind="听评课",
        starts_at=now - datetime.timedelta(minutes=20),
        ends_at=now + datetime.timedelta(hours=2),
        place="东湖实验小学 录播教室",
        hours=2,
    )
    activity.indicators.add(weak)
    return {
        "teacher": teacher,
        "leader": leader,
        "trainer": trainer,
        "school_hr": hr_user(school),
        "district_hr": hr_user(district),
        "admin": admin,
        "course": course,
        "studio": studio,
        "activity": activity,
        "weak": weak,
    }


HR_SCREENS = [
    # (link on the dashboard, step name, check axe)
    ("查看教师名单", "teachers"),
    ("批量导入教师", "import"),
    ("自我测评水平分布", "assessment-overview"),
    ("学分达标情况", "credits"),
    ("学分认定审核", "recognition"),
    ("驾驶舱", "cockpit"),
    ("证书管理", "credentials"),
    ("工作室概况", "studios"),
    ("研修项目", "campaigns"),
    ("稿件审核", "studio-review"),
]


def hr_journey(page, role: str, email: str) -> dict:
    """HR: every HR screen from the dashboard's toolbar; the 驾驶舱 and the
    assessment overview show charts and agree on how many assessed."""
    log_in(page, email)
    visit(page, role, "01-dashboard", axe=True)
    figures = {}
    for number, (link, step) in enumerate(HR_SCREENS, start=2):
        page.locator("#hr-work").get_by_role("link", name=link, exact=True).click()
        visit(page, role, f"{number:02d}-{step}", axe=True)
        if step == "assessment-overview":
            expect(page.locator("svg.chart").first).to_be_visible()
            figures["overview"] = int(
                page.locator("#assessed-count").get_attribute("data-assessed")
            )
            expect(page.locator("#assessment-freshness")).to_contain_text("数据更新于")
        if step == "cockpit":
            for chart in ("chart-levels", "chart-trend", "chart-studios"):
                expect(page.locator(f"#{chart}")).to_be_attached()
            figures["cockpit"] = int(
                page.locator("[data-assessed]").first.get_attribute("data-assessed")
            )
            expect(page.locator("#overview-freshness")).to_contain_text("数据更新于")
            page.locator("details summary", has_text="查看数据表").first.click()
            shoot(page, role, f"{number:02d}-{step}-table")
        back_to_dashboard(page)
    assert figures["cockpit"] == figures["overview"], figures
    return figures
