"""Studios count activities per school term with the one term function
(training.framework): January belongs to the autumn term that began the
August before, labelled "2026秋" like the self-assessment's terms."""

import datetime

import pytest
from django.utils import timezone

from cms.studios.models import Activity
from cms.studios.selectors import studios_figures
from training.framework import term_of

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 9))


def test_activities_per_term_agree_with_the_assessment_terms(activity):
    studio = activity.studio
    Activity.objects.filter(pk=activity.pk).delete()
    for when in (at(2026, 9, 10), at(2027, 1, 12), at(2027, 3, 2)):
        Activity.objects.create(
            studio=studio,
            title="活动",
            kind="集体备课",
            starts_at=when,
            ends_at=when + datetime.timedelta(hours=2),
            hours=1,
        )
    figures = studios_figures([studio])[studio.pk]
    assert figures["activities_per_term"] == [("2026秋", 2), ("2027春", 1)]
    assert term_of(datetime.date(2027, 1, 12)) == "2026秋"
    assert term_of(datetime.date(2027, 2, 1)) == "2027春"
    assert term_of(datetime.date(2026, 7, 31)) == "2026春"
