"""Issue 17 item 5: charts drawn on the server (no CDN, nothing to install),
each with a title, a description and a table of the same numbers; radar labels
inside the picture."""

import re

import pytest
from django.urls import reverse

from cms.shared.charts import text_width
from cms.shared.radar import label_lines, radar_svg
from tests.factories import TeacherFactory, hr_user
from tests.portfolios.conftest import assess

pytestmark = pytest.mark.django_db

DIMENSIONS = [
    "数字化意识",
    "数字技术知识与技能",
    "数字化应用",
    "数字社会责任",
    "专业发展",
]


def test_radar_labels_fit_inside_the_viewbox():
    svg = radar_svg(labels=DIMENSIONS, series=[[3, 2, 4, 3, 2]], title="雷达图")
    x0, y0, width, height = map(
        float, re.search(r'viewBox="([^"]+)"', svg).group(1).split()
    )
    texts = re.findall(r'<text text-anchor="(\w+)"[^>]*>(.*?)</text>', svg)
    assert len(texts) == 5
    for anchor, inner in texts:
        for x, y, line in re.findall(
            r'<tspan x="([\d.]+)" y="([\d.]+)">(.*?)</tspan>', inner
        ):
            x, y, w = float(x), float(y), text_width(line, 12)
            left = {"start": x, "end": x - w, "middle": x - w / 2}[anchor]
            assert x0 <= left and left + w <= x0 + width, line
            assert y0 <= y - 6 and y + 6 <= y0 + height, line
    assert label_lines("数字技术知识与技能") == ["数字技术知", "识与技能"]


@pytest.fixture
def district(world):
    for _ in range(4):
        TeacherFactory(school=world["school_a1"])
    for teacher in world["school_a1"].teachers.all()[:5]:
        assess(teacher, lambda n: 1 + n % 4)
    return world


def test_cockpit_and_overview_have_accessible_charts(client, district):
    client.force_login(hr_user(district["school_a1"]))
    for url in (reverse("org_overview"), reverse("org_assessment")):
        html = client.get(url).content.decode()
        charts = re.findall(r'<svg[^>]*class="chart"[^>]*>', html)
        assert charts, url
        for tag in charts:
            assert 'role="img"' in tag and "aria-labelledby" in tag
        assert "<title id=" in html and "<desc id=" in html
        # Nothing fetched from elsewhere: the only script is the site's own.
        assert "cdn" not in html.lower()
        assert not re.search(r'<script[^>]*\ssrc="(?!/static/)', html)
    cockpit = client.get(reverse("org_overview")).content.decode()
    for chart in ("chart-levels", "chart-trend", "chart-credits", "chart-studios"):
        assert f'id="{chart}"' in cockpit, chart
    # Each chart's numbers are also in a table.
    assert cockpit.count("查看数据表") >= 4
