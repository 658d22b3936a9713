"""Converting credentials other platforms issued into hours here (学分转换).

A rule set's ``config["outside"]`` says, as data:

    "outside": {
      "kinds": {                      # which outside achievement kinds count
        "Course": {"unit": "学分", "hours": 10},   # 1 学分 = 10 学时
        "*": {"unit": "学时", "hours": 1}          # any other kind, hour for hour
      },
      "category_caps": {"学科": 40},  # converted 学时 per category and calendar year
      "yearly_ceiling": 120,          # converted 学时 per calendar year, in all
      "default_category": "其他",     # when the credential names no category
      "accept_trusted": false         # true: a recognised issuer's credential whose
                                      # every check passed is credited at once
    }

A kind absent from ``kinds`` (and no ``"*"``) does not count. The amount a
credential states (``creditsEarned``, else the achievement's
``creditsAvailable``) times ``hours`` is the converted hours, then cut to what
the category cap and the yearly ceiling leave for the year it was earned. Every
step is written into the request's ``conversion`` so the teacher can see why.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Sum
from django.utils.translation import gettext as _

from . import data

ONE_PLACE = Decimal("0.1")
UNITS = ("学分", "学时")

# Rule sets written before conversion rules existed: every kind counts, the
# stated amount read as 学时, within 120 converted 学时 a year.
DEFAULT_OUTSIDE = {
    "kinds": {"*": {"unit": "学时", "hours": 1}},
    "category_caps": {},
    "yearly_ceiling": 120,
    "default_category": data.CreditCategory.OTHER.value,
}


def outside_rules(config: dict) -> dict:
    rules = config.get("outside")
    return rules if isinstance(rules, dict) else DEFAULT_OUTSIDE


def _number(value, path: str, errors: list) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        errors.append(_("%(path)s 应为不小于 0 的数。") % {"path": path})


def validate_outside(rules) -> list[str]:
    """What is wrong with an ``outside`` section (empty when nothing)."""
    if rules is None:
        return []
    if not isinstance(rules, dict):
        return [_("outside 应为一个对象。")]
    errors: list[str] = []
    unknown = set(rules) - {
        "kinds",
        "category_caps",
        "yearly_ceiling",
        "default_category",
        "accept_trusted",
    }
    if unknown:
        errors.append(
            _("outside 中有未知的项：%(k)s") % {"k": "、".join(sorted(unknown))}
        )
    kinds = rules.get("kinds")
    if not isinstance(kinds, dict):
        errors.append(_("outside.kinds 需要列出计入的证书类型及折算方式。"))
    else:
        for kind, rule in kinds.items():
            if (
                not isinstance(rule, dict)
                or rule.get("unit") not in UNITS
                or set(rule) - {"unit", "hours"}
            ):
                errors.append(
                    _(
                        'outside.kinds.%(kind)s 应写成 {"unit": "学分" 或 "学时", "hours": 每单位折合的学时}。'
                    )
                    % {"kind": kind}
                )
                continue
            hours = rule.get("hours")
            if (
                isinstance(hours, bool)
                or not isinstance(hours, (int, float))
                or not 0 < hours <= 100
            ):
                errors.append(
                    _("outside.kinds.%(kind)s.hours 应在 0 到 100 之间。")
                    % {"kind": kind}
                )
    caps = rules.get("category_caps", {})
    categories = {c.value for c in data.CreditCategory}
    if not isinstance(caps, dict) or set(caps) - categories:
        errors.append(_("outside.category_caps 只能按已有类别设置上限。"))
    else:
        for category, cap in caps.items():
            _number(cap, f"outside.category_caps.{category}", errors)
    if "yearly_ceiling" in rules and rules["yearly_ceiling"] is not None:
        _number(rules["yearly_ceiling"], "outside.yearly_ceiling", errors)
    if not isinstance(rules.get("accept_trusted", False), bool):
        errors.append(_("outside.accept_trusted 应为 true 或 false。"))
    default = rules.get("default_category", data.CreditCategory.OTHER.value)
    if default not in categories:
        errors.append(_("outside.default_category 不是已有类别。"))
    return errors


def category_of(stated: list[str], rules: dict) -> str:
    """The first of the credential's words (tags, field of study) that names
    one of our categories, else the rule set's default."""
    categories = [c.value for c in data.CreditCategory]
    for word in stated:
        for category in categories:
            if isinstance(word, str) and word.strip() == category:
                return category
    return rules.get("default_category", data.CreditCategory.OTHER.value)


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number > 0 else None


def used_hours(*, teacher, year: int, category: str | None, pending: bool) -> Decimal:
    """Converted hours already taken this year: on the ledger (approved), and,
    when ``pending``, those waiting for HR too."""
    from .models import CreditRecord, RecognitionRequest

    records = CreditRecord.objects.filter(
        teacher=teacher,
        source_type=data.SourceKind.OUTSIDE,
        earned_on__year=year,
    )
    if category is not None:
        records = records.filter(category=category)
    total = records.aggregate(t=Sum("hours"))["t"] or Decimal(0)
    if pending:
        waiting = RecognitionRequest.objects.filter(
            teacher=teacher,
            outside__isnull=False,
            status=RecognitionRequest.Status.PENDING,
            earned_on__year=year,
        )
        if category is not None:
            waiting = waiting.filter(category=category)
        total += waiting.aggregate(t=Sum("hours_claimed"))["t"] or Decimal(0)
    return total


def room(*, teacher, rules: dict, category: str, year: int, pending: bool, extra=None):
    """(room left under the category cap or None, under the ceiling or None).
    ``extra`` maps (year, category or None) to hours the same submission took."""
    extra = extra or {}
    cap = rules.get("category_caps", {}).get(category)
    ceiling = rules.get("yearly_ceiling")
    category_room = ceiling_room = None
    if cap is not None:
        used = used_hours(
            teacher=teacher, year=year, category=category, pending=pending
        )
        used += extra.get((year, category), Decimal(0))
        category_room = max(Decimal(str(cap)) - used, Decimal(0))
    if ceiling is not None:
        used = used_hours(teacher=teacher, year=year, category=None, pending=pending)
        used += extra.get((year, None), Decimal(0))
        ceiling_room = max(Decimal(str(ceiling)) - used, Decimal(0))
    return category_room, ceiling_room


def limit(hours: Decimal, *, rules: dict, category: str, category_room, ceiling_room):
    """Cut ``hours`` to the room left; (hours, steps explaining each cut)."""
    steps = []
    if category_room is not None and hours > category_room:
        hours = category_room
        steps.append(
            _("已达“%(c)s”类年度转换上限 %(cap)s 学时，计入 %(h)s 学时。")
            % {
                "c": category,
                "cap": rules["category_caps"][category],
                "h": hours,
            }
        )
    if ceiling_room is not None and hours > ceiling_room:
        hours = ceiling_room
        steps.append(
            _("已达年度转换总上限 %(cap)s 学时，计入 %(h)s 学时。")
            % {"cap": rules["yearly_ceiling"], "h": hours}
        )
    return hours, steps


def convert(*, teacher, rules: dict, item: dict, extra: dict) -> dict:
    """How one achievement converts. ``item``: achievement_type, amount,
    category, earned_on. ``extra`` collects the hours this submission has
    already taken (updated here)."""
    kinds = rules.get("kinds", {})
    kind = item.get("achievement_type") or "Achievement"
    rule = kinds.get(kind) or kinds.get("*")
    result = {
        "kind": kind,
        "stated": item.get("amount"),
        "counted": False,
        "hours": "0",
        "steps": [],
    }
    if rule is None:
        result["steps"].append(
            _("本地区的学分规则不计入此类证书（%(kind)s）。") % {"kind": kind}
        )
        return result
    amount = _decimal(item.get("amount"))
    if amount is None:
        result["steps"].append(_("证书没有写明学时或学分，无法折算。"))
        return result
    unit, per_unit = rule["unit"], Decimal(str(rule["hours"]))
    raw = (amount * per_unit).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    result.update(unit=unit, rate=str(per_unit), raw_hours=str(raw))
    if unit == "学时" and per_unit == 1:
        result["steps"].append(
            _("证书写明 %(a)s 学时，按学时计入：%(h)s 学时。") % {"a": amount, "h": raw}
        )
    else:
        result["steps"].append(
            _("证书写明 %(a)s %(u)s，按 1 %(u)s = %(r)s 学时折算：%(h)s 学时。")
            % {"a": amount, "u": unit, "r": format(per_unit.normalize(), "f"), "h": raw}
        )
    category = item["category"]
    category_room, ceiling_room = room(
        teacher=teacher,
        rules=rules,
        category=category,
        year=item["earned_on"].year,
        pending=True,
        extra=extra,
    )
    hours, steps = limit(
        raw,
        rules=rules,
        category=category,
        category_room=category_room,
        ceiling_room=ceiling_room,
    )
    result["steps"].extend(steps)
    result["cap_hit"] = bool(steps)
    if hours <= 0:
        result["steps"].append(_("本年度已无可转换的学时，不计入。"))
        return result
    result.update(counted=True, hours=str(hours))
    year = item["earned_on"].year
    extra[(year, category)] = extra.get((year, category), Decimal(0)) + hours
    extra[(year, None)] = extra.get((year, None), Decimal(0)) + hours
    return result
