"""School HR from the dashboard to every HR screen, by clicking, on desktop
and phone; the 驾驶舱 and the assessment overview agree; axe-core clean."""

import pytest

from tests.e2e import roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

viewport = roles.viewport_fixture()


def test_school_hr_reaches_every_hr_screen(page):
    world = roles.seed_world()
    figures = roles.hr_journey(page, "school-hr", world["school_hr"].email)
    assert figures["cockpit"] == 6  # her school's six assessed teachers
