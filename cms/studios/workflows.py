"""What happens when a moderation workflow is approved (WAGTAIL_FINISH_WORKFLOW_ACTION)."""


def publish_approved(workflow_state, user=None):
    """Publish the approved revision. A studio review task has already checked
    that the approver may approve this page (its leader, or a district reviewer),
    and studio reviewers hold no Wagtail page permissions of their own, so the
    page permission check is skipped for those; any other workflow publishes with
    the usual checks."""
    # Imported here: Wagtail reads this setting while its models load.
    from wagtail.models import TaskState

    from .models import StudioReviewTask

    approved_by_studio = TaskState.objects.filter(
        workflow_state=workflow_state,
        status=TaskState.STATUS_APPROVED,
        task__in=StudioReviewTask.objects.all(),
    ).exists()
    workflow_state.content_object.get_latest_revision().publish(
        user=user, skip_permission_checks=approved_by_studio
    )
