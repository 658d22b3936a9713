"""Her assessment report is kept rendered (cms/shared/pagecache.py
`fragment`): what changes it shows at once; nobody else is ever shown it."""

import pytest
from django.urls import reverse

from tests.factories import TeacherFactory
from tests.factories.training import make_instrument
from training import services
from training.models import AssessmentResult, Competency, LearningResource

pytestmark = pytest.mark.django_db


@pytest.fixture
def result():
    make_instrument()
    teacher = TeacherFactory(real_name="林晓")
    attempt = services.attempt_start(teacher=teacher)
    services.answers_save(
        attempt=attempt,
        answers={i.pk: 1 + i.position % 4 for i in attempt.instrument.items.all()},
    )
    return services.attempt_submit(attempt=attempt)


def _report(client, result) -> str:
    response = client.get(reverse("assessment_result", args=[result.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_kept_report_shows_framework_and_resource_changes_at_once(client, result):
    client.force_login(result.teacher.user)
    html = _report(client, result)
    assert _report(client, result).count("<svg") == html.count("<svg")
    weakest = Competency.objects.get(
        code=min(
            result.scores["indicators"],
            key=lambda c: result.scores["indicators"][c]["score"],
        )
    )
    weakest.name = "数据驱动的学情诊断（新名称）"
    weakest.save()
    assert "数据驱动的学情诊断（新名称）" in _report(client, result)
    LearningResource.objects.create(
        title="学情诊断工作坊", kind="course", url="https://example.org/w"
    ).indicators.add(weakest)
    assert "学情诊断工作坊" in _report(client, result)


def test_a_deleted_result_is_not_served_from_the_cache(client, result):
    client.force_login(result.teacher.user)
    _report(client, result)
    AssessmentResult.objects.filter(pk=result.pk).delete()
    response = client.get(reverse("assessment_result", args=[result.pk]))
    assert response.status_code == 404


def test_another_teacher_never_gets_her_report(client, result):
    client.force_login(result.teacher.user)
    _report(client, result)
    other = TeacherFactory(real_name="周敏")
    client.force_login(other.user)
    response = client.get(reverse("assessment_result", args=[result.pk]))
    assert response.status_code == 404
    assert "林晓" not in response.content.decode()


def test_language_switch_shows_the_report_in_that_language(client, result):
    client.force_login(result.teacher.user)
    assert "总体水平" in _report(client, result)
    client.cookies["django_language"] = "en"
    assert "总体水平" not in _report(client, result)
    del client.cookies["django_language"]
    assert "总体水平" in _report(client, result)
