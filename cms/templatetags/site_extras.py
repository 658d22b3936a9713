"""Small display filters shared by every template."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from training.framework import term_label

register = template.Library()


@register.filter(name="term")
def term_filter(value):
    """A school term ('2026秋') in the reader's language."""
    return term_label(value)


# The navigation and the language menu depend only on the language, the
# script prefix and who is asking (signed in, teacher, roles); each variant is
# rendered once per process and then reused. The parts that vary per request
# (the current path, her name, the CSRF token) stay in base.html.
_FRAGMENTS: dict[tuple, str] = {}
_MAX_FRAGMENTS = 512


def _memo(key: tuple, render) -> str:
    html = _FRAGMENTS.get(key)
    if html is None:
        html = render()
        if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = html
    return html


@register.simple_tag(takes_context=True)
def site_nav(context):
    from django.urls import get_script_prefix
    from django.utils.translation import get_language

    from cms.accounts.guards import teacher_or_none

    request = context.get("request")
    user = context.get("user")
    authenticated = bool(user is not None and user.is_authenticated)
    flags = {
        "authenticated": authenticated,
        "is_teacher": authenticated
        and request is not None
        and teacher_or_none(request) is not None,
        "can_administer_teachers": bool(context.get("can_administer_teachers")),
        "user_roles": frozenset(context.get("user_roles") or ()),
    }
    key = ("nav", get_language(), get_script_prefix(), *flags.values())
    # A rendered template is already safe HTML (its variables were escaped).
    return _memo(key, lambda: render_to_string("includes/site_nav.html", flags))


@register.simple_tag
def language_select(current):
    from django.utils.translation import get_language

    key = ("languages", current, get_language())
    return _memo(
        key,
        lambda: render_to_string("includes/language_select.html", {"LANG": current}),
    )


@register.simple_tag
def chrome(part: str):
    """A fixed part of base.html (includes/chrome.html), rendered once per
    part, language and script prefix: translations, URLs and static paths
    change only with a deploy, which starts new processes."""
    from django.urls import get_script_prefix
    from django.utils.translation import get_language

    language = get_language()
    key = ("chrome", part, language, get_script_prefix())
    # Less the file's own final newline, which follows every part; what the
    # template rendered is safe HTML (its variables were escaped).
    return _memo(
        key,
        lambda: mark_safe(  # noqa: S308
            render_to_string(
                "includes/chrome.html", {"part": part, "LANG": language}
            ).removesuffix("\n")
        ),
    )
