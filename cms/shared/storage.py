"""Where files live: every uploaded and generated file goes through Django's
storage API, to storages the environment names (``STORAGES`` in the settings,
built from ``STORAGE_BACKEND``), so that any app node or worker reads a file
another one wrote.

- ``default``: public media (Wagtail images and their renditions, documents).
- ``private``: recognition evidence, assignment files, studio resources,
  portfolio evidence and bulk exports. Never served by a web server or a media
  URL; only views that check the caller's scope open them.
- ``checkpoints`` (only with ``STORAGE_BACKEND=s3``): the signed ledger
  checkpoints; with the file system they stay in ``LEDGER_CHECKPOINT_DIR``
  (credits/checkpoints.py).

With ``STORAGE_BACKEND=filesystem`` (the default) the two roots are
``MEDIA_ROOT`` and ``PRIVATE_MEDIA_ROOT``: on several nodes, one directory on
shared storage mounted at the same path everywhere. With ``STORAGE_BACKEND=s3``
they are prefixes of an S3-compatible bucket (django-storages).

Nothing a request or a task needs is kept on one node's disk: a task is given
the id of a row that names its file (a storage name, never a local path)."""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class _NamedStorage(LazyObject):
    """The storage configured under one alias of ``STORAGES``, looked up when
    first used (and again after the setting changes, as in tests), like
    Django's own ``default_storage``."""

    def __init__(self, alias: str):
        self.__dict__["_alias"] = alias
        super().__init__()

    def _setup(self):
        self._wrapped = storages[self.__dict__["_alias"]]


_private = _NamedStorage("private")


def private_storage() -> Storage:
    """The private storage (a callable, as the models' FileFields name it in
    their migrations)."""
    return _private


def checkpoint_storage() -> Storage | None:
    """The checkpoints' storage when one is configured (object storage);
    None means the LEDGER_CHECKPOINT_DIR directory."""
    from django.conf import settings

    if "checkpoints" in settings.STORAGES:
        return storages["checkpoints"]
    return None


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty
