"""CPU ms of one video-progress report (the player's POST every 10 s of a
video lesson), one Django process answering one request at a time through the
test client, as `bench_cpu` measures pages. docs/scaling.md uses the median:
during a campaign these reports outnumber page views 20 to 1.

    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
      .venv/bin/python -m pytest bench/measure_progress.py -s -p no:cacheprovider

Prints one line "PROGRESS_CPU_MS=<median> (n=<count>)". Not part of the test
suite (testpaths is tests/); it asserts only that every report was accepted."""

import datetime
import statistics
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

REPORTS = 60


@pytest.mark.django_db
def test_measure_progress_report_cpu():
    from tests.factories import TeacherFactory
    from tests.factories.courses import make_course
    from tests.factories.credits import national_rules
    from tests.factories.site import ensure_base_content
    from training.courses import services
    from training.courses.models import LessonProgress

    ensure_base_content()
    national_rules()
    teacher = TeacherFactory()
    course = make_course(lessons=0, video=1, video_threshold=100)
    (video,) = list(course.lessons.all())
    video.duration_seconds = 10 * (REPORTS + 10)
    video.save(update_fields=["duration_seconds"])
    services.course_enrol(course=course, teacher=teacher)
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(teacher.user)
    url = reverse("course_lesson_progress", args=[course.pk, video.pk])
    samples = []
    for n in range(REPORTS + 3):
        # As if 10 s of playback passed since the last report.
        LessonProgress.objects.filter(lesson=video).update(
            last_report_at=timezone.now() - datetime.timedelta(seconds=10)
        )
        started = time.process_time()
        response = client.post(url, {"position": 10 * n})
        spent = (time.process_time() - started) * 1000
        assert response.status_code == 200, response.content  # noqa: S101
        if n >= 3:  # warm-up
            samples.append(spent)
    median = statistics.median(samples)
    print(f"\nPROGRESS_CPU_MS={median:.2f} (n={len(samples)})")
