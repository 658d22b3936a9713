"""The rule set in force is kept in the cache (credits/rules.py); a rule set
added or changed shows on the next request."""

import copy
import datetime

import pytest

from tests.factories import TeacherFactory
from tests.factories.credits import CreditRuleSetFactory, national_rules

pytestmark = pytest.mark.django_db


def required(client) -> str:
    html = client.get("/credits/").content.decode()
    return html.split('<span class="stat">', 1)[1].split("学时", 1)[0]


def test_a_new_or_changed_district_rule_set_shows_at_once(client, district_tree):
    national_rules()
    teacher = TeacherFactory(school=district_tree["school_a1"])
    client.force_login(teacher.user)
    assert "/ 360" in required(client)
    assert "/ 360" in required(client)  # from the cache now

    config = copy.deepcopy(national_rules().config)
    config["cycle"]["hours"] = 240
    district = CreditRuleSetFactory(
        region=district_tree["dist_a"],
        name="区县规则",
        effective_from=datetime.date(2021, 1, 1),
        config=config,
    )
    assert "/ 240" in required(client)

    district.config["cycle"]["hours"] = 300
    district.save()
    assert "/ 300" in required(client)

    district.delete()
    assert "/ 360" in required(client)
