"""The self-assessment scoring model, as pure functions over plain data.

Each item is answered on the instrument's five levels (1-5). The model, whose
weights and cut points are stored with each instrument version:

1. indicator score = mean of its items' answers;
2. sub-dimension score = weighted mean of its indicators (`indicator_weights`,
   default 1 each);
3. dimension score = weighted mean of its sub-dimensions (`subdimension_weights`);
4. overall score = weighted mean of the dimensions (`dimension_weights`);
5. a score's level = 1 + the number of cut points it reaches, so cut points
   [1.8, 2.6, 3.4, 4.2] make 1.0-1.79 level 1 and 4.2-5.0 level 5.

Scores are rounded half-up to two decimals only at the end of each step, so the
same answers always give the same report."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


class IncompleteAnswers(ValueError):
    def __init__(self, missing: list[int]):
        super().__init__(f"{len(missing)} items unanswered")
        self.missing = missing


def level_for(score: Decimal, cut_points: list) -> int:
    return 1 + sum(1 for cut in cut_points if score >= Decimal(str(cut)))


def _weighted_mean(values: dict[str, Decimal], weights: dict) -> Decimal:
    total_weight = sum(Decimal(str(weights.get(code, 1))) for code in values)
    if not total_weight:
        raise ValueError("weights sum to zero")
    total = sum(
        value * Decimal(str(weights.get(code, 1))) for code, value in values.items()
    )
    return (total / total_weight).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def score_answers(
    *,
    items: list[tuple[int, str]],
    answers: dict[int, int],
    parents: dict[str, str],
    scoring: dict,
) -> dict:
    """Score one attempt.

    items: (item id, indicator code) for every item of the instrument;
    answers: item id -> level chosen (1-5);
    parents: competency code -> parent code (indicator -> sub-dimension ->
    dimension); scoring: the instrument's scoring model.
    Returns {"indicators"|"subdimensions"|"dimensions": {code: {"score", "level"}},
    "overall": {"score", "level"}} with scores as strings ("3.25")."""
    missing = [item_id for item_id, _ in items if item_id not in answers]
    if missing:
        raise IncompleteAnswers(missing)
    cut_points = scoring["cut_points"]

    by_indicator: dict[str, list[int]] = defaultdict(list)
    for item_id, code in items:
        value = answers[item_id]
        if not 1 <= value <= 5:
            raise ValueError(f"answer {value} is outside the scale")
        by_indicator[code].append(value)
    indicator_scores = {
        code: (Decimal(sum(values)) / len(values)).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )
        for code, values in by_indicator.items()
    }

    def roll_up(child_scores: dict[str, Decimal], weights: dict) -> dict[str, Decimal]:
        grouped: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for code, score in child_scores.items():
            grouped[parents[code]][code] = score
        return {
            parent: _weighted_mean(children, weights)
            for parent, children in grouped.items()
        }

    sub_scores = roll_up(indicator_scores, scoring.get("indicator_weights", {}))
    dim_scores = roll_up(sub_scores, scoring.get("subdimension_weights", {}))
    overall = _weighted_mean(dim_scores, scoring.get("dimension_weights", {}))

    def describe(scores: dict[str, Decimal]) -> dict:
        return {
            code: {"score": str(score), "level": level_for(score, cut_points)}
            for code, score in sorted(scores.items())
        }

    return {
        "indicators": describe(indicator_scores),
        "subdimensions": describe(sub_scores),
        "dimensions": describe(dim_scores),
        "overall": {"score": str(overall), "level": level_for(overall, cut_points)},
    }
