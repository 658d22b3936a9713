"""Personal data held by courses: her enrolments with progress, quiz attempts,
submissions (and their files) and grade history, and session registrations.
Work she graded as a trainer belongs to its learner (cms.shared.personal_data.NOT_HERS)."""

from __future__ import annotations

from cms.shared.personal_data import (
    PersonalDataHook,
    delete_with_files,
    linked_rows,
    register,
)

from .models import (
    Campaign,
    Enrolment,
    GradeChange,
    LessonProgress,
    QuizAttempt,
    SessionRegistration,
    Submission,
)


def export_person(teacher, writer) -> None:
    writer.rows(linked_rows(Enrolment, teacher))
    writer.rows(LessonProgress.objects.filter(enrolment__teacher=teacher))
    writer.rows(QuizAttempt.objects.filter(enrolment__teacher=teacher))
    submissions = Submission.objects.filter(enrolment__teacher=teacher)
    writer.rows(submissions)
    writer.files(submissions, "file", name_field="file_name")
    writer.rows(GradeChange.objects.filter(submission__enrolment__teacher=teacher))
    writer.rows(linked_rows(SessionRegistration, teacher))
    writer.rows(linked_rows(Campaign, teacher))


def erase_person(teacher) -> None:
    # Completed courses stay credited in the ledger (its key is made of course
    # and teacher, so nothing is credited twice).
    delete_with_files(Submission.objects.filter(enrolment__teacher=teacher), "file")
    SessionRegistration.objects.filter(teacher=teacher).delete()
    Enrolment.objects.filter(teacher=teacher).delete()  # progress, quiz attempts


register(
    PersonalDataHook(
        app="courses",
        export=export_person,
        erase=erase_person,
        erased=("courses.enrolment.teacher", "courses.sessionregistration.teacher"),
        kept={
            "courses.campaign.created_by": "an organisation's campaign run by an "
            "administrator, about other teachers",
            "courses.submission.graded_by": "work she graded belongs to its learner",
            "courses.gradechange.changed_by": "grade history of other learners' work",
        },
    )
)
