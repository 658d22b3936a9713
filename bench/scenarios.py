"""The pages `make bench` measures. Later issues append their own.

`user` names a login made by `manage.py seed_scale` (or None for anonymous).
A path may hold `{latest_result}` (the id of that user's latest
self-assessment result) or `{credential}` (the uid of a real credential the
bench issues to scale-0000001); the bench fills them in before the load
starts, and a scenario whose id cannot be found fails instead of timing 404s.

A response counts as a success only with the `expect` status and, when
`marker` is set, the marker in its body (or, for a redirect, its Location).
Any other response fails the scenario; its row says which and how many.

`body` (POST) may be `{credential_json}`: the requests cycle through the
bench's real credentials as JSON."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    user: str | None = None
    requests: int = 400
    budget_ms: int = 150  # the p95 target from TARGETS.md
    expect: int = 200
    marker: str = ""
    method: str = "GET"
    body: str | None = None
    content_type: str | None = None


SCENARIOS = [
    Scenario(
        "baseline: trivial view (redirect)",
        "/favicon.ico",
        budget_ms=50,
        expect=301,
        marker="favicon.svg",
    ),
    Scenario("home page", "/", marker="让每一位教师的数字素养看得见"),
    Scenario("login page", "/accounts/login/", marker='name="password"'),
    Scenario(
        "framework page (33 indicators)",
        "/framework/jyt0646-2022/",
        marker="JY/T 0646—2022",
    ),
    Scenario(
        "dashboard, city HR (20,000 teachers)",
        "/dashboard/",
        user="scale-hr-city",
        budget_ms=300,
        marker="工作台",
    ),
    Scenario(
        "teacher list, city HR",
        "/org/teachers/",
        user="scale-hr-city",
        budget_ms=300,
        marker="位教师",
    ),
    Scenario(
        "teacher list, district HR",
        "/org/teachers/",
        user="scale-hr-d01",
        budget_ms=300,
        marker="位教师",
    ),
    Scenario(
        "assessment distribution, city HR",
        "/org/assessment/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
        marker="自我测评水平分布",
    ),
    Scenario(
        "my self-assessment, teacher",
        "/assessment/",
        user="scale-0000001",
        marker="数字素养自我测评",
    ),
    Scenario(
        "assessment report, teacher with 3 results",
        "/assessment/results/{latest_result}/",
        user="scale-0000001",
        marker="数字素养自我测评报告",
    ),
    Scenario(
        "my credits, teacher with 50 records",
        "/credits/",
        user="scale-0000001",
        marker="我的学分",
    ),
    Scenario(
        "credit compliance, district HR (2,000 teachers)",
        "/org/credits/",
        user="scale-hr-d01",
        budget_ms=300,
        marker="学分达标情况",
    ),
    Scenario(
        "credit compliance, city HR (20,000 teachers)",
        "/org/credits/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
        marker="学分达标情况",
    ),
    Scenario(
        "my portrait, teacher", "/portrait/", user="scale-0000001", marker="五维画像"
    ),
    Scenario(
        "驾驶舱, district HR (2,000 teachers)",
        "/org/overview/",
        user="scale-hr-d01",
        budget_ms=300,
        marker="驾驶舱",
    ),
    Scenario(
        "驾驶舱, city HR (20,000 teachers)",
        "/org/overview/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
        marker="驾驶舱",
    ),
    Scenario(
        "credential share link (verified live)",
        "/credentials/{credential}/",
        marker="verify-ok",
    ),
    Scenario(
        "verify API, real credentials (POST JSON)",
        "/api/v1/credentials/verify",
        method="POST",
        body="{credential_json}",
        content_type="application/json",
        marker='"verified": true',
    ),
    Scenario(
        "studios index (300 studios)",
        "/studios/",
        marker='href="/studios/scale-studio-',
    ),
    Scenario(
        "studios search, Chinese keyword",
        "/studios/?q=%E7%B2%BE%E5%87%86",
        marker="精准教学工作室",
    ),
    Scenario(
        "studio home (100 articles and resources)",
        "/studios/scale-studio-001/",
        marker="工作室001",
    ),
    Scenario(
        "catalogue (2,000 courses)", "/courses/", marker='href="/courses/scale-course-'
    ),
    Scenario(
        "catalogue search, Chinese keyword",
        "/courses/?q=%E6%95%B0%E6%8D%AE",
        marker='href="/courses/scale-course-',
    ),
    Scenario(
        "catalogue by dimension, sorted by hours",
        "/courses/?dimension=3&sort=hours",
        marker='href="/courses/scale-course-',
    ),
    Scenario("course page, anonymous", "/courses/scale-course-0001/", marker="第1期"),
    Scenario(
        "course page, teacher",
        "/courses/scale-course-0001/",
        user="scale-0000001",
        marker="第1期",
    ),
    Scenario(
        "my learning, teacher with 25 courses",
        "/learn/",
        user="scale-0000001",
        marker="我的学习",
    ),
]
