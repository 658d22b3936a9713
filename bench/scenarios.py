"""The pages `make bench` measures. Later issues append their own.

`user` names a login made by `manage.py seed_scale` (or None for anonymous).
A path may hold `{latest_result}`: the bench fills in the id of that user's
latest self-assessment result before the load starts."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    user: str | None = None
    requests: int = 400
    budget_ms: int = 150  # the p95 target from TARGETS.md


SCENARIOS = [
    Scenario("baseline: trivial view (redirect)", "/favicon.ico", budget_ms=50),
    Scenario("home page", "/"),
    Scenario("login page", "/accounts/login/"),
    Scenario("framework page (33 indicators)", "/framework/jyt0646-2022/"),
    Scenario(
        "dashboard, city HR (20,000 teachers)",
        "/dashboard/",
        user="scale-hr-city",
        budget_ms=300,
    ),
    Scenario(
        "teacher list, city HR", "/org/teachers/", user="scale-hr-city", budget_ms=300
    ),
    Scenario(
        "teacher list, district HR",
        "/org/teachers/",
        user="scale-hr-d01",
        budget_ms=300,
    ),
    Scenario(
        "assessment distribution, city HR",
        "/org/assessment/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
    ),
    Scenario("my self-assessment, teacher", "/assessment/", user="scale-0000001"),
    Scenario(
        "assessment report, teacher with 3 results",
        "/assessment/results/{latest_result}/",
        user="scale-0000001",
    ),
    Scenario("my credits, teacher with 50 records", "/credits/", user="scale-0000001"),
    Scenario(
        "credit compliance, district HR (2,000 teachers)",
        "/org/credits/",
        user="scale-hr-d01",
        budget_ms=300,
    ),
    Scenario(
        "credit compliance, city HR (20,000 teachers)",
        "/org/credits/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
    ),
    Scenario("my portrait, teacher", "/portrait/", user="scale-0000001"),
    Scenario(
        "驾驶舱, district HR (2,000 teachers)",
        "/org/overview/",
        user="scale-hr-d01",
        budget_ms=300,
    ),
    Scenario(
        "驾驶舱, city HR (20,000 teachers)",
        "/org/overview/",
        user="scale-hr-city",
        requests=100,
        budget_ms=300,
    ),
    Scenario(
        "credential verify page (share link)",
        "/verify/",
    ),
    Scenario("studios index (300 studios)", "/studios/"),
    Scenario("studios search, Chinese keyword", "/studios/?q=%E7%B2%BE%E5%87%86"),
    Scenario("studio home (100 articles and resources)", "/studios/scale-studio-001/"),
    Scenario("catalogue (2,000 courses)", "/courses/"),
    Scenario("catalogue search, Chinese keyword", "/courses/?q=%E6%95%B0%E6%8D%AE"),
    Scenario(
        "catalogue by dimension, sorted by hours", "/courses/?dimension=3&sort=hours"
    ),
    Scenario("course page, anonymous", "/courses/scale-course-0001/"),
    Scenario(
        "course page, teacher", "/courses/scale-course-0001/", user="scale-0000001"
    ),
    Scenario("my learning, teacher with 25 courses", "/learn/", user="scale-0000001"),
]
