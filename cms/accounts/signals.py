"""Sent after a teacher import has committed (the API's webhooks listen)."""

from django.dispatch import Signal

# sender=TeacherImport, import_id=int
teacher_import_applied = Signal()
