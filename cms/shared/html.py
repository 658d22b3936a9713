"""Small pieces of HTML built in Python where a template loop would render a
template node per value (a select of a city's 200 schools, on every request)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def options_html(choices, chosen: str = "") -> SafeString:
    """<option> elements for (value, label) pairs, escaped; the one whose
    value equals `chosen` (as text) selected."""
    parts = []
    for value, label in choices:
        value = str(value)
        selected = " selected" if value == chosen else ""
        parts.append(
            f'<option value="{escape(value)}"{selected}>{escape(label)}</option>'
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)
