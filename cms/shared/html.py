"""Small pieces of HTML built in Python where a template loop would render a
template node per value (a select of a city's 200 schools, on every request)."""

from __future__ import annotations

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

SELECTED = mark_safe(" selected")  # noqa: S308 (a constant)


def options_html(choices, chosen: str = "") -> SafeString:
    """<option> elements for (value, label) pairs, escaped; the one whose
    value equals `chosen` (as text) selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, SELECTED if str(value) == chosen else "", label)
            for value, label in choices
        ),
    )
