"""Default rules and the lookup of the rule set in force for a teacher."""

from __future__ import annotations

import datetime

from cms.shared import pagecache

from .models import CreditRuleSet

# The common national rule: 360 学时 in a five-year cycle. Regions override any
# part of it with their own rule sets (as data, in the admin).
DEFAULT_CONFIG = {
    "conversion": {
        "online_course": 0.1,
        "offline_training": 0.1,
        "studio_activity": 0.1,
        "school_based": 0.1,
        "competition": 0.1,
        "recognition": 0.1,
    },
    "annual_caps": {"其他": 24},
    "cycle": {
        "years": 5,
        "start_year": 2026,
        "hours": 360,
        "min_hours_per_year": 36,
        "quotas": {"信息技术应用": 0.15, "思政师德": 0.1},
    },
    # Credentials other platforms issued (credits/conversion.py): a course
    # states 学分 (1 学分 = 10 学时), anything else 学时; at most 120
    # converted 学时 a year.
    "outside": {
        "kinds": {
            "Course": {"unit": "学分", "hours": 10},
            "*": {"unit": "学时", "hours": 1},
        },
        "category_caps": {},
        "yearly_ceiling": 120,
        "default_category": "其他",
    },
}


# Version of every rule set lookup: any rule set saved or deleted bumps it
# (credits/apps.py); a school moved in the tree has another path, so another key.
RULES_VERSION = "credit-rules"


def rule_set_in_force(
    *, school, on: datetime.date, cached: bool = True
) -> CreditRuleSet:
    """The newest rule set effective on `on` for the nearest region above the
    school (the school itself, its district, city, province), else the
    platform default. Kept in the cache until a rule set changes: most pages
    of a teacher or HR user ask for it (three queries). The ledger reads it
    fresh (`cached=False`) for what it writes."""
    if not cached:
        return _rule_set_in_force(school=school, on=on)
    return pagecache.cached(
        f"rule-set:{school.pk}:{school.path}:{on.isoformat()}",
        RULES_VERSION,
        lambda: _rule_set_in_force(school=school, on=on),
    )


def _rule_set_in_force(*, school, on: datetime.date) -> CreditRuleSet:
    regions = [school.pk, *school.get_ancestors().values_list("pk", flat=True)]
    candidates = (
        CreditRuleSet.objects.filter(effective_from__lte=on)
        .filter(region_id__in=regions)
        .select_related("region")
    )
    best = None
    depth_of = {pk: depth for depth, pk in enumerate(regions)}
    for rule_set in candidates:
        key = (depth_of[rule_set.region_id], -rule_set.effective_from.toordinal())
        if best is None or key < best[0]:
            best = (key, rule_set)
    if best:
        return best[1]
    default = (
        CreditRuleSet.objects.filter(region__isnull=True, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    if default is None:
        raise CreditRuleSet.DoesNotExist(f"no credit rule set in force on {on}")
    return default


def cycle_bounds(config: dict, on: datetime.date) -> tuple[int, int]:
    """First and last calendar year of the cycle containing `on`."""
    cycle = config["cycle"]
    years = int(cycle["years"])
    start = int(cycle["start_year"])
    offset = (on.year - start) // years
    first = start + offset * years
    return first, first + years - 1
