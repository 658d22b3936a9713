"""Platform admins edit instruments in the admin; edits to a version already in
use become a new version."""

import pytest

from tests.factories import UserFactory
from tests.factories.training import make_instrument
from training import services
from training.models import Instrument

pytestmark = pytest.mark.django_db


def admin_form_data(instrument, **overrides):
    items = list(instrument.items.order_by("position"))
    data = {
        "title": instrument.title,
        "instructions": instrument.instructions,
        "levels": __import__("json").dumps(instrument.levels, ensure_ascii=False),
        "scoring": __import__("json").dumps(instrument.scoring),
        "items-TOTAL_FORMS": len(items),
        "items-INITIAL_FORMS": len(items),
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
    }
    for n, item in enumerate(items):
        data.update(
            {
                f"items-{n}-id": item.pk,
                f"items-{n}-instrument": instrument.pk,
                f"items-{n}-position": item.position,
                f"items-{n}-indicator": item.indicator_id,
                f"items-{n}-prompt": item.prompt,
                f"items-{n}-descriptors": __import__("json").dumps(
                    item.descriptors, ensure_ascii=False
                ),
            }
        )
    data.update(overrides)
    return data


def test_editing_a_used_instrument_in_the_admin_makes_a_new_version(
    client, district_tree
):
    instrument = make_instrument()
    teacher = district_tree["teachers"]["SA1"][0]
    services.attempt_start(teacher=teacher)  # someone has started version 1
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/django-admin/training/instrument/{instrument.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, admin_form_data(instrument, **{"items-0-prompt": "修订后的题干"})
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    versions = list(
        Instrument.objects.filter(version__gte=instrument.version).order_by("version")
    )
    assert [v.version for v in versions] == [instrument.version, instrument.version + 1]
    assert versions[0].items.get(position=1).prompt != "修订后的题干"
    assert versions[1].items.get(position=1).prompt == "修订后的题干"
    assert versions[1].is_current and not versions[0].is_current
    assert versions[1].items.count() == 33
