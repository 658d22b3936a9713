"""Studios in the browser: a leader's article goes through review and appears
publicly; a teacher applies to join and is approved; the leader runs an
activity, the teacher checks in with the code, and attendance is recorded."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cms.studios import services
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from tests.factories import OrganisationFactory, TeacherFactory, hr_user

from .test_credits_journey import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_publish_join_and_check_in(page):
    CreditRuleSet.objects.get_or_create(
        region=None,
        effective_from=datetime.date(2020, 1, 1),
        defaults={"name": "全国通用", "config": DEFAULT_CONFIG},
    )
    district = OrganisationFactory(name="东湖区", kind="district")
    school = OrganisationFactory(name="东湖实验小学", parent=district)
    leader = TeacherFactory(real_name="张名师", school=school)
    teacher = TeacherFactory(real_name="林晓", school=school)
    reviewer = hr_user(district)
    studio = services.studio_create(
        title="张名师数学工作室",
        kind="名师",
        leader=leader.user,
        region=district,
        subject="数学",
        research_direction="大数据支持的精准教学",
    )

    # 1. The leader writes; the district reviewer approves; it is public.
    log_in(page, leader.user.email)
    page.goto(studio.url)
    page.get_by_role("link", name="写文章").click()
    page.get_by_label("标题").fill("用学业数据诊断单元学习难点")
    page.get_by_label("类型").select_option("研修文章")
    page.get_by_label("正文").fill("以函数单元为例。\n从作业数据中找到共性错误。")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".messages")).to_contain_text("已提交审核")
    expect(page.locator("#drafts-table")).to_contain_text("审核中")
    log_out(page)
    page.goto(studio.url)
    expect(page.locator("main")).not_to_contain_text("用学业数据诊断单元学习难点")

    log_in(page, reviewer.email)
    page.locator("header").get_by_role("link", name="稿件审核").click()
    page.get_by_role("link", name="用学业数据诊断单元学习难点").click()
    page.get_by_role("button", name="通过并发布").click()
    expect(page.locator(".messages")).to_contain_text("审核结果已保存")
    log_out(page)
    page.goto(studio.url)
    page.get_by_role("link", name="用学业数据诊断单元学习难点").click()
    expect(page.locator("article")).to_contain_text("从作业数据中找到共性错误")

    # 2. A teacher applies; the leader approves.
    log_in(page, teacher.user.email)
    page.goto(studio.url)
    page.get_by_label("申请加入：说说您的想法（选填）").fill("想学习精准教学")
    page.get_by_role("button", name="申请加入").click()
    expect(page.locator(".messages")).to_contain_text("申请已提交")
    log_out(page)
    log_in(page, leader.user.email)
    page.goto(studio.url)
    page.get_by_role("link", name="成员管理").click()
    row = page.locator("#members-table tr", has_text="林晓")
    row.get_by_role("button", name="通过", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已处理")

    # 3. The leader runs an activity with a check-in code.
    page.goto(studio.url)
    page.get_by_role("link", name="发布活动").click()
    page.get_by_label("活动名称").fill("函数单元集体备课")
    page.get_by_label("类型").select_option("集体备课")
    start = timezone.localtime() - datetime.timedelta(minutes=5)
    page.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间").fill(
        (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("地点").fill("东湖区教师发展中心 305 室")
    page.get_by_label("学时").fill("3")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".messages")).to_contain_text("活动已发布")
    code = page.locator("#code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    activity_url = page.url
    log_out(page)

    log_in(page, teacher.user.email)
    page.goto(activity_url)
    expect(page.locator("main")).to_contain_text("函数单元集体备课")
    page.get_by_label("签到码").fill(code)
    page.get_by_role("button", name="签到").click()
    expect(page.locator(".messages")).to_contain_text("签到成功")
    expect(page.locator("main")).to_contain_text("学时已记入学分银行")
    page.goto(studio.url)
    expect(page.locator("main")).to_contain_text("您是本工作室成员")
    log_out(page)

    log_in(page, leader.user.email)
    page.goto(activity_url)
    expect(page.locator("#attendance")).to_contain_text("林晓")
    expect(page.locator("#attendance")).to_contain_text("已记学时")
    assert (
        CreditRecord.objects.filter(
            teacher=teacher, source_type="studios.activity"
        ).count()
        == 1
    )
