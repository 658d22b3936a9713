"""Reads for the catalogue, course pages, "my learning", grading and campaigns,
one module per concern:

- `catalogue`: the catalogue's filters and page, the search, the courses the
  recommendations and the API read;
- `course_page`: one course's page, its learning kind, its credential's facts;
- `learning`: "my learning", a lesson's progress and the next lesson, her
  submission and check-in, the portrait's timeline events, enrolments of a
  scoped set of teachers;
- `grading`: the courses a trainer grades, her submissions, the queue;
- `campaigns`: the campaigns a user may see and their figures;
- `trainers`: the trainer's home and check-in screens.

Each page reads in a fixed number of queries however many courses,
enrolments or submissions there are. Everything is re-exported here, so
callers import `training.courses.selectors` (or names from it) without
knowing the module."""

from ._common import FRAMEWORK, PAGE_SIZE
from .campaigns import campaign_figures, campaigns_visible_to
from .catalogue import (
    LABELS,
    SORTS,
    CatalogueFilters,
    catalogue,
    course_search,
    courses_for_indicators,
    courses_published,
)
from .course_page import (
    course_achievement_facts,
    course_credit_kind,
    course_detail,
    teacher_course_body,
)
from .grading import (
    GradingFilters,
    courses_graded_by,
    grading_queue,
    submissions_for_grader,
)
from .learning import (
    LearningFilters,
    courses_taken_among,
    enrolments_for_teachers,
    learning_events,
    lesson_counts,
    lesson_following,
    lesson_progress,
    my_learning,
    session_checked_in,
    submission_of,
    upcoming_sessions,
)
from .trainers import (
    live_courses_with_trainer,
    session_attendance,
    sessions_soon,
    trained_by,
)

__all__ = [
    "FRAMEWORK",
    "LABELS",
    "PAGE_SIZE",
    "SORTS",
    "CatalogueFilters",
    "GradingFilters",
    "LearningFilters",
    "campaign_figures",
    "campaigns_visible_to",
    "catalogue",
    "course_achievement_facts",
    "course_credit_kind",
    "course_detail",
    "teacher_course_body",
    "course_search",
    "courses_for_indicators",
    "courses_graded_by",
    "courses_published",
    "courses_taken_among",
    "enrolments_for_teachers",
    "grading_queue",
    "learning_events",
    "live_courses_with_trainer",
    "lesson_counts",
    "lesson_following",
    "lesson_progress",
    "my_learning",
    "upcoming_sessions",
    "session_attendance",
    "session_checked_in",
    "sessions_soon",
    "submission_of",
    "submissions_for_grader",
    "trained_by",
]
