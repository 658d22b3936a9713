"""Deploy check: a production site with no credential signing key configured
cannot issue credentials; say so before anyone notices missing certificates."""

import json
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def signing_keys_configured(app_configs, **kwargs):
    if getattr(settings, "CREDENTIAL_AUTO_KEY", False):
        return []
    inline = getattr(settings, "CREDENTIAL_KEYS", "")
    path = getattr(settings, "CREDENTIAL_KEYS_FILE", "")
    problems = []
    if inline:
        try:
            if not isinstance(json.loads(inline), dict):
                raise ValueError
        except ValueError:
            problems.append("CREDENTIAL_KEYS is not a JSON object")
    elif not path or not Path(path).exists():
        problems.append(
            "neither CREDENTIAL_KEYS nor an existing CREDENTIAL_KEYS_FILE is set"
        )
    return [
        Warning(
            f"Credentials cannot be signed: {problem}.",
            hint="Run `manage.py credential_key_generate` and set CREDENTIAL_KEYS_FILE "
            "to the file it writes (or CREDENTIAL_KEYS to the JSON it prints).",
            id="badges.W001",
        )
        for problem in problems
    ]
