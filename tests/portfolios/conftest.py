import pytest

from badges.services import credentials_issue
from tests.factories import grant
from tests.factories.credits import ledger_record, national_rules
from tests.factories.training import make_instrument
from training import services as training_services


def assess(teacher, value_of=lambda n: 3):
    attempt = training_services.attempt_start(teacher=teacher)
    items = list(
        attempt.instrument.items.order_by("position").values_list("id", flat=True)
    )
    training_services.answers_save(
        attempt=attempt, answers={i: value_of(n) for n, i in enumerate(items)}
    )
    return training_services.attempt_submit(attempt=attempt)


@pytest.fixture
def world(district_tree):
    national_rules()
    make_instrument()
    return district_tree


@pytest.fixture
def lin(world):
    """A teacher of school A1 with an assessment, credits and a credential."""
    teacher = world["teachers"]["SA1"][0]
    teacher.real_name = "林晓"
    teacher.save()
    assess(teacher, lambda n: 2 + n % 3)
    record = ledger_record(teacher=teacher, title="人工智能助力课堂教学", hours=12)
    credentials_issue([record.pk])
    return teacher


@pytest.fixture
def trainer(world):
    from tests.factories import UserFactory

    user = UserFactory(first_name="王培训")
    return grant(user, "trainer", world["dist_a"])
