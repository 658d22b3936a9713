"""Flattening the zh-hans fallback chain gives every message the answer the
unflattened chain gives."""

from django.utils.translation import trans_real

from cms.shared.i18n import flatten_fallbacks


def test_flattened_chain_answers_like_the_original():
    flatten_fallbacks("zh-hans")
    flat = trans_real.translation("zh-hans")
    original = trans_real.DjangoTranslation("zh-hans")
    messages = set()
    fallback = original._fallback
    depth = 0
    while fallback is not None:
        messages.update(k for k in fallback._catalog if isinstance(k, str))
        fallback = getattr(fallback, "_fallback", None)
        depth += 1
    assert depth > 1 and flat._fallback._fallback is None
    messages.update(["This field is required.", "第 %(row)s 行：%(message)s", "课程"])
    # The empty msgid is each catalogue's header (its metadata), not a message
    # anyone sees; which header answers depends on merge order, not on lookups.
    messages.discard("")
    assert len(messages) > 100
    for message in messages:
        assert flat.gettext(message) == original.gettext(message), message
    assert flat.gettext("This field is required.") == "必需字段"
