"""Small display filters shared by every template."""

from django import template

from training.framework import term_label

register = template.Library()


@register.filter(name="term")
def term_filter(value):
    """A school term ('2026秋') in the reader's language."""
    return term_label(value)
