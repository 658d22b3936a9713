"""Fixtures of the catalogue and training tests: the organisation tree with
national credit rules, a trainer, and a graded course with one teacher."""

import pytest

from cms.accounts.models import Role
from tests.factories import TeacherFactory, UserFactory, grant
from tests.factories.courses import make_course, make_rubric
from tests.factories.credits import national_rules
from training.courses import services


@pytest.fixture
def rules(district_tree):
    from tests.factories.site import ensure_base_content

    ensure_base_content()
    national_rules()
    return district_tree


@pytest.fixture
def trainer(rules):
    return grant(UserFactory(), Role.TRAINER)


@pytest.fixture
def graded(rules, trainer):
    rubric = make_rubric(criteria=((10, "3.1.1"), (10, "3.3.2")), pass_percent=60)
    course = make_course(lessons=0, rubric=rubric, trainers=[trainer])
    teacher = TeacherFactory()
    enrolment = services.course_enrol(course=course, teacher=teacher)
    return {
        "course": course,
        "teacher": teacher,
        "enrolment": enrolment,
        "rubric": rubric,
        "trainer": trainer,
    }
