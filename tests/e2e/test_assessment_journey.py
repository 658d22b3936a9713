"""A teacher takes the self-assessment on a phone: she leaves midway, comes back
to where she was, finishes, sees her radar chart and recommendations, and
downloads the PDF."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, TeacherFactory
from tests.factories.training import make_instrument
from training.models import AssessmentResult, LearningResource

from .downloads import pdf_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def viewport():
    return PHONE


def log_in(page, email):
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def answer_visible_items(page, choice_index):
    for fieldset in page.locator("fieldset.item").all():
        fieldset.locator("input[type=radio]").nth(choice_index).check()


def test_take_leave_resume_finish_and_download(page, tmp_path):
    instrument = make_instrument()
    weakest = instrument.items.get(position=1).indicator
    # A curated entry with a link: one without would lead nowhere and is
    # never recommended.
    LearningResource.objects.create(
        title="数字时代的教师：机遇与挑战",
        kind="course",
        url="https://basic.smartedu.cn/teacherTraining",
    ).indicators.add(weakest)
    teacher = TeacherFactory(real_name="林晓")
    log_in(page, teacher.user.email)

    page.get_by_role("link", name="进入自我测评").click()
    page.locator("#start-assessment").click()
    expect(page).to_have_url(re.compile(r"/assessment/step/1/$"))
    expect(page.locator("h2")).to_contain_text("数字化意识")

    # Step 1: skip one item and press Next: told which one, nothing lost.
    items = page.locator("fieldset.item")
    for index in range(items.count() - 1):
        items.nth(index).locator("input[type=radio]").nth(0).check()
    page.get_by_role("button", name="下一步", exact=True).click()
    expect(page.locator(".item-error")).to_have_count(1)
    expect(page.locator(".item-error")).to_contain_text("这一题还没有作答")
    items.last.locator("input[type=radio]").nth(0).check()
    page.get_by_role("button", name="下一步", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessment/step/2/$"))

    # Step 2: one click is autosaved, then she closes the browser.
    page.locator("fieldset.item").first.locator("input[type=radio]").nth(3).check()
    expect(page.locator("#autosave-status")).to_have_text("已自动保存")
    page.context.clear_cookies()

    log_in(page, teacher.user.email)
    page.goto("/assessment/")
    page.locator("#resume-assessment").click()
    expect(page).to_have_url(re.compile(r"/assessment/step/2/$"))
    expect(
        page.locator("fieldset.item").first.locator("input[type=radio]").nth(3)
    ).to_be_checked()

    while True:
        answer_visible_items(page, 3)
        button = page.get_by_role("button", name=re.compile("下一步|检查并提交"))
        last = "检查并提交" in button.inner_text()
        button.click()
        if last:
            break
    expect(page).to_have_url(re.compile(r"/assessment/review/$"))
    page.locator("#submit-assessment").click()

    expect(page).to_have_url(re.compile(r"/assessment/results/\d+/$"))
    expect(page.locator("svg.radar")).to_be_visible()
    expect(page.locator(".weakest").first).to_contain_text(weakest.code)
    expect(page.locator(".recommendations")).to_contain_text(
        "数字时代的教师：机遇与挑战"
    )
    assert AssessmentResult.objects.filter(teacher=teacher).count() == 1

    # The PDF link, fetched with her session (headless Chromium would open it
    # in its viewer rather than save it).
    href = page.locator("#download-pdf").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    # The report as she would open it: her name, the weakest indicator and
    # the recommended course.
    text = pdf_text(response.body(), tmp_path)
    assert teacher.real_name in text
    assert weakest.code in text
    assert "数字时代的教师：机遇与挑战" in text.replace("\n", "").replace(" ", "")
