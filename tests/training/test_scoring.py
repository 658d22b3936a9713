"""The scoring model on worked examples whose answers are worked out by hand."""

import datetime
from decimal import Decimal

import pytest

from training.framework import next_term_start, term_of
from training.scoring import IncompleteAnswers, level_for, score_answers

CUTS = [1.8, 2.6, 3.4, 4.2]
# A small framework: dimension A with sub-dimensions A.1 (2 indicators) and
# A.2 (1 indicator); dimension B with B.1 (1 indicator).
PARENTS = {
    "A.1.1": "A.1",
    "A.1.2": "A.1",
    "A.2.1": "A.2",
    "B.1.1": "B.1",
    "A.1": "A",
    "A.2": "A",
    "B.1": "B",
}
ITEMS = [(1, "A.1.1"), (2, "A.1.2"), (3, "A.2.1"), (4, "B.1.1"), (5, "B.1.1")]


def score(answers, **scoring):
    return score_answers(
        items=ITEMS,
        answers=answers,
        parents=PARENTS,
        scoring={"cut_points": CUTS, **scoring},
    )


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("1.00", 1),
        ("1.79", 1),
        ("1.80", 2),
        ("2.59", 2),
        ("2.60", 3),
        ("3.39", 3),
        ("3.40", 4),
        ("4.19", 4),
        ("4.20", 5),
        ("5.00", 5),
    ],
)
def test_cut_points(value, level):
    assert level_for(Decimal(value), CUTS) == level


def test_all_threes_is_three_everywhere():
    result = score({1: 3, 2: 3, 3: 3, 4: 3, 5: 3})
    assert result["overall"] == {"score": "3.00", "level": 3}
    assert {v["score"] for v in result["indicators"].values()} == {"3.00"}


def test_worked_example_with_equal_weights():
    # A.1.1=2, A.1.2=5 -> A.1 = 3.50; A.2.1=4 -> A.2 = 4.00; A = (3.5+4)/2 = 3.75
    # B.1.1 has two items 1 and 2 -> 1.50; B.1 = 1.50; B = 1.50
    # overall = (3.75 + 1.50) / 2 = 2.625 -> 2.63 (half up) -> level 3
    result = score({1: 2, 2: 5, 3: 4, 4: 1, 5: 2})
    assert result["indicators"]["B.1.1"] == {"score": "1.50", "level": 1}
    assert result["subdimensions"]["A.1"] == {"score": "3.50", "level": 4}
    assert result["dimensions"]["A"] == {"score": "3.75", "level": 4}
    assert result["dimensions"]["B"] == {"score": "1.50", "level": 1}
    assert result["overall"] == {"score": "2.63", "level": 3}


def test_weights_change_the_roll_up():
    # Indicator A.1.2 counts three times as much as A.1.1: A.1 = (2*1 + 5*3)/4 = 4.25
    # Dimension B weighs 3: overall = (A*1 + B*3)/4 with A = (4.25+4)/2 = 4.13 (4.125 half up)
    result = score(
        {1: 2, 2: 5, 3: 4, 4: 1, 5: 2},
        indicator_weights={"A.1.2": 3},
        dimension_weights={"A": 1, "B": 3},
    )
    assert result["subdimensions"]["A.1"]["score"] == "4.25"
    assert result["dimensions"]["A"]["score"] == "4.13"
    # (4.13 + 3 * 1.50) / 4 = 2.1575 -> 2.16
    assert result["overall"] == {"score": "2.16", "level": 2}


def test_unanswered_items_are_named():
    with pytest.raises(IncompleteAnswers) as exc:
        score({1: 3, 2: 3, 3: 3})
    assert exc.value.missing == [4, 5]


def test_out_of_scale_answer_is_refused():
    with pytest.raises(ValueError, match="outside the scale"):
        score({1: 3, 2: 3, 3: 3, 4: 3, 5: 6})


@pytest.mark.parametrize(
    ("day", "term", "next_start"),
    [
        (datetime.date(2026, 9, 1), "2026秋", datetime.date(2027, 2, 1)),
        (datetime.date(2027, 1, 15), "2026秋", datetime.date(2027, 2, 1)),
        (datetime.date(2027, 3, 1), "2027春", datetime.date(2027, 8, 1)),
        (datetime.date(2027, 7, 31), "2027春", datetime.date(2027, 8, 1)),
    ],
)
def test_terms(day, term, next_start):
    assert term_of(day) == term
    assert next_term_start(day) == next_start
