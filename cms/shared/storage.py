"""Private files (recognition evidence, bulk exports) live outside MEDIA_ROOT,
so no web server or media URL ever serves them; views check who asks first."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
