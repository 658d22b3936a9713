"""JY/T 0646-2022 loads as data: 5 dimensions, 13 sub-dimensions, 33 indicators,
each with a public page."""

import pytest
from django.urls import reverse

from training.models import Competency, Framework

pytestmark = pytest.mark.django_db


def test_counts_are_5_13_33():
    framework = Framework.objects.get(code="jyt0646-2022")
    counts = [framework.competencies.filter(level=level).count() for level in (1, 2, 3)]
    assert counts == [5, 13, 33]
    # Every indicator hangs under a sub-dimension, which hangs under a dimension.
    for indicator in framework.competencies.filter(level=3).select_related(
        "parent__parent"
    ):
        assert indicator.parent.level == 2 and indicator.parent.parent.level == 1
        assert indicator.code.startswith(indicator.parent.code + ".")


def test_dimension_names_are_the_standards():
    names = list(
        Competency.objects.filter(framework__code="jyt0646-2022", level=1).values_list(
            "name", flat=True
        )
    )
    assert names == [
        "数字化意识",
        "数字技术知识与技能",
        "数字化应用",
        "数字社会责任",
        "专业发展",
    ]


def test_every_indicator_has_a_public_page(client):
    indicators = Competency.objects.filter(framework__code="jyt0646-2022", level=3)
    for indicator in indicators:
        url = f"/framework/jyt0646-2022/{indicator.code}/"
        assert indicator.get_absolute_url() == url
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert indicator.name in html
        assert f"JYT0646-2022:{indicator.code}" in html


def test_framework_page_lists_all_indicators(client, django_assert_max_num_queries):
    client.get(
        reverse("framework_detail", args=["jyt0646-2022"])
    )  # warm up first: one-off per-process queries
    with django_assert_max_num_queries(8):
        html = client.get(
            reverse("framework_detail", args=["jyt0646-2022"])
        ).content.decode()
    assert html.count('href="/framework/jyt0646-2022/') >= 5 + 13 + 33
    assert "3.3.2 应用数据分析模型进行学业数据分析" in html


def test_unknown_indicator_is_404(client):
    assert client.get("/framework/jyt0646-2022/9.9.9/").status_code == 404


def test_another_framework_can_be_added_without_code(client):
    from training.services import framework_load

    framework_load(
        data={
            "code": "digcompedu",
            "name": "DigCompEdu",
            "dimensions": [
                {
                    "code": "1",
                    "name": "Professional engagement",
                    "children": [
                        {"code": "1.1", "name": "Organisational communication"}
                    ],
                }
            ],
        }
    )
    response = client.get("/framework/digcompedu/1.1/")
    assert response.status_code == 200
    assert "Organisational communication" in response.content.decode()


def test_the_published_instrument_covers_every_indicator_with_five_levels():
    from training.models import Instrument

    instrument = Instrument.objects.get(family="self-assessment", version=1)
    assert instrument.is_current
    items = list(instrument.items.select_related("indicator"))
    indicators = Competency.objects.filter(framework__code="jyt0646-2022", level=3)
    assert {i.indicator.code for i in items} == set(
        indicators.values_list("code", flat=True)
    )
    assert all(len(item.descriptors) == 5 and all(item.descriptors) for item in items)
    assert [level["name"] for level in instrument.levels] == [
        "起步",
        "发展",
        "胜任",
        "熟练",
        "引领",
    ]
