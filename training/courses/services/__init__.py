"""Writes for the catalogue, one module per concern:

- `learning`: enrolment, lessons (text, documents, video playback), the quiz;
- `grading`: assignments, the rubric, grades and returns with their audit trail;
- `scores`: offline scores imported from a spreadsheet;
- `sessions`: session registration and check-in;
- `completion`: the course's rule and the hand-off to the credit bank;
- `campaigns`: an organisation enrols its teachers in a set of courses;
- `catalogue`: the catalogue index page.

Everything is re-exported here, so callers import `training.courses.services`
(or names from it) without knowing the module."""

from cms.shared.errors import ApplicationError

from .campaigns import CAMPAIGN_BATCH, campaign_create, campaign_restart, campaign_run
from .catalogue import catalogue_ensure
from .completion import (
    COMPLETION_FLAGS,
    completion_check,
    completion_credit,
    completion_missing,
    course_completions_recheck,
)
from .grading import (
    assignment_submit,
    may_grade,
    rubric_total,
    submission_grade,
    submission_return,
)
from .learning import (
    PLAYBACK_ALLOWANCE,
    PLAYBACK_SLACK_SECONDS,
    course_enrol,
    enrolment_open_reason,
    lesson_complete,
    quiz_submit,
    video_progress_report,
)
from .scores import PASS_WORDS, SCORE_HEADERS, ScoreImport, scores_import
from .sessions import CHECK_IN_MAX_FAILURES, session_check_in, session_register

# The refusal services raise; the one application error under its old name.
NotAllowed = ApplicationError

__all__ = [
    "CAMPAIGN_BATCH",
    "CHECK_IN_MAX_FAILURES",
    "COMPLETION_FLAGS",
    "PASS_WORDS",
    "PLAYBACK_ALLOWANCE",
    "PLAYBACK_SLACK_SECONDS",
    "SCORE_HEADERS",
    "NotAllowed",
    "ScoreImport",
    "assignment_submit",
    "campaign_create",
    "campaign_restart",
    "campaign_run",
    "catalogue_ensure",
    "completion_check",
    "completion_credit",
    "completion_missing",
    "course_completions_recheck",
    "course_enrol",
    "enrolment_open_reason",
    "lesson_complete",
    "may_grade",
    "quiz_submit",
    "rubric_total",
    "scores_import",
    "session_check_in",
    "session_register",
    "submission_grade",
    "submission_return",
    "video_progress_report",
]
