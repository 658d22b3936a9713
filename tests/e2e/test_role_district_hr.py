"""District HR from the dashboard to every HR screen, by clicking, on desktop
and phone; the 驾驶舱 and the assessment overview agree; axe-core clean."""

import pytest

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_district_hr_reaches_every_hr_screen(page):
    world = roles.seed_world()
    figures = roles.hr_journey(page, "district-hr", world["district_hr"].email)
    assert figures["cockpit"] == 6
