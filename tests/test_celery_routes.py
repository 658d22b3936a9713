"""Every Celery task has its queue (settings.CELERY_TASK_ROUTES), so that a
worker per queue (README "Running on several nodes") leaves nothing behind."""

from django.conf import settings

from cms.celery import app


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_registered_task_is_routed_to_a_known_queue():
    names = registered_tasks()
    assert len(names) >= 15, names  # the apps' tasks were found
    unrouted = sorted(names - set(settings.CELERY_TASK_ROUTES))
    assert unrouted == [], f"tasks without a queue: {unrouted}"
    for name in names:
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in settings.CELERY_QUEUES_ALL, (name, queue)


def test_no_route_names_a_task_that_does_not_exist():
    assert set(settings.CELERY_TASK_ROUTES) <= registered_tasks()


def test_a_teachers_credential_does_not_wait_behind_bulk_work():
    route = app.amqp.router.route
    assert route({}, "badges.issue_credentials")["queue"].name == "credentials"
    assert route({}, "credits.tasks.export_build_task")["queue"].name == "exports"
    assert (
        route({}, "training.courses.tasks.campaign_run_task")["queue"].name
        == "campaigns"
    )
    assert (
        route({}, "credits.tasks.compliance_reminders_task")["queue"].name
        == "reminders"
    )


def test_scheduled_tasks_are_routed_and_a_worker_without_q_takes_every_queue():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in settings.CELERY_TASK_ROUTES, entry["task"]
    assert {q.name for q in app.conf.task_queues} == set(settings.CELERY_QUEUES_ALL)
