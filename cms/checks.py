"""Deploy checks for running on several app nodes: nothing a request needs may
live in one process or on one node's disk (README, "Stateless nodes and shared
storage")."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Cache backends whose entries one process (or one node) keeps to itself.
NODE_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "process memory",
    "django.core.cache.backends.dummy.DummyCache": "no cache at all",
    "django.core.cache.backends.filebased.FileBasedCache": "one node's disk",
}
# Session engines that keep sessions in one place of their own.
NODE_LOCAL_SESSIONS = {
    "django.contrib.sessions.backends.file": "one node's disk",
}
CACHE_SESSIONS = {
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
}
FILESYSTEM_STORAGE = "django.core.files.storage.FileSystemStorage"


def shared_state_problems() -> list[str]:
    """Why this configuration would keep state on one node (empty: none)."""
    problems = []
    for alias, config in settings.CACHES.items():
        where = NODE_LOCAL_CACHES.get(config.get("BACKEND", ""))
        if where:
            problems.append(
                f"cache '{alias}' is kept in {where} ({config['BACKEND']}): cached "
                "pages, rate-limit counters, sign-in throttling and check-in "
                "lockouts would differ from node to node"
            )
    engine = settings.SESSION_ENGINE
    if engine in NODE_LOCAL_SESSIONS:
        problems.append(
            f"sessions are kept on {NODE_LOCAL_SESSIONS[engine]} ({engine}): a "
            "teacher signed in on one node is signed out on the next"
        )
    elif engine in CACHE_SESSIONS:
        alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
        backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
        if backend in NODE_LOCAL_CACHES:
            problems.append(
                f"sessions are kept in cache '{alias}', which is in "
                f"{NODE_LOCAL_CACHES[backend]}"
            )
    return problems


def node_local_directories() -> list[str]:
    """File storages (and the checkpoint directory) inside the code checkout:
    on one node's disk unless that is a shared mount."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    places = []
    for alias in ("default", "private"):
        config = settings.STORAGES.get(alias, {})
        if config.get("BACKEND") == FILESYSTEM_STORAGE:
            location = config.get("OPTIONS", {}).get("location") or (
                settings.MEDIA_ROOT if alias == "default" else ""
            )
            if location:
                places.append((f"storage '{alias}'", location))
    if "checkpoints" not in settings.STORAGES:
        places.append(("LEDGER_CHECKPOINT_DIR", settings.LEDGER_CHECKPOINT_DIR))
    for label, location in places:
        path = Path(location).resolve()
        if path == base or base in path.parents:
            found.append(f"{label} is {path}, inside the code checkout")
    return found


@register(Tags.caches, deploy=True)
def state_is_shared(app_configs, **kwargs):
    return [
        Warning(
            f"Not ready for several app nodes: {problem}.",
            hint="Set REDIS_URL (production does) and keep SESSION_ENGINE on the "
            "database (the default) or a Redis-backed cache.",
            id="cms.W101",
        )
        for problem in shared_state_problems()
    ]


@register(Tags.files, deploy=True)
def files_are_shared(app_configs, **kwargs):
    return [
        Warning(
            f"Files stay on this node: {problem}.",
            hint="On several nodes set MEDIA_ROOT, PRIVATE_MEDIA_ROOT and "
            "LEDGER_CHECKPOINT_DIR to directories on shared storage mounted on "
            "every node, or STORAGE_BACKEND=s3 with the AWS_* variables.",
            id="cms.W102",
        )
        for problem in node_local_directories()
    ]
