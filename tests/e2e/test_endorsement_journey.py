"""A studio leader endorses her member's credential in the browser, by
clicking from her dashboard; the member sees it on her credential and her
portrait, anyone can verify it; the leader withdraws it after confirming and
the verification then says it is revoked."""

import re

import pytest
from playwright.sync_api import expect

from badges.models import Endorsement
from tests.e2e import roles

from .test_credits_journey import log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMMENT = "林晓老师把人工智能工具用进了常态课堂，课例值得推广。"


def test_leader_endorses_then_withdraws(page):
    from badges import services

    world = roles.seed_world()
    teacher = world["teacher"]
    services.credentials_issue(
        list(teacher.credit_records.values_list("pk", flat=True))
    )
    role = "studio-leader"
    roles.log_in(page, world["leader"].user.email)
    page.locator("#leader-work").get_by_role(
        "link", name=re.compile("成员管理")
    ).click()
    page.locator("#endorse-members-link").click()
    roles.visit(page, role, "endorse-01-members", axe=True)
    row = page.locator("#member-credentials tr", has_text="人工智能助力课堂教学")
    expect(row).to_contain_text("林晓")
    row.get_by_role("link", name="背书", exact=True).click()
    roles.visit(page, role, "endorse-02-form", axe=True)
    page.get_by_label("背书意见").fill(COMMENT)
    page.get_by_role("button", name="签发背书").click()
    roles.visit(page, role, "endorse-03-endorsement", axe=True)
    expect(page.locator(".messages")).to_contain_text("背书证书已签发")
    expect(page.locator("#verify-result")).to_have_attribute("data-result", "valid")
    expect(page.locator("#endorses")).to_contain_text("人工智能助力课堂教学")
    endorsement_url = page.url
    log_out(page)

    # The member sees it on her credential and in her portrait.
    roles.log_in(page, teacher.user.email)
    page.goto("/portrait/")
    portrait_item = page.locator("#section-credentials .endorsement")
    expect(portrait_item).to_contain_text("数据驱动名师工作室背书")
    page.goto("/credentials/")
    page.get_by_role("link", name="人工智能助力课堂教学").first.click()
    expect(page.locator("#endorsements")).to_contain_text(COMMENT)
    page.locator("#endorsements").get_by_role("link", name="核验这条背书").click()
    expect(page.locator("#verify-result")).to_have_attribute("data-result", "valid")
    expect(page.locator("#withdraw-link")).to_have_count(0)
    log_out(page)

    # She withdraws it, after a confirmation page.
    roles.log_in(page, world["leader"].user.email)
    page.goto(endorsement_url)
    page.locator("#withdraw-link").click()
    roles.visit(page, role, "endorse-04-withdraw", axe=True)
    assert Endorsement.objects.get().revoked_at is None
    page.get_by_label("撤回原因（选填）").fill("课例信息需要更正")
    page.get_by_role("button", name="确认撤回").click()
    expect(page.locator(".messages")).to_contain_text("已撤回")
    expect(page.locator("#verify-result")).to_have_attribute("data-result", "invalid")
    expect(page.locator('[data-check="status"]')).to_contain_text("已被签发方撤销")
