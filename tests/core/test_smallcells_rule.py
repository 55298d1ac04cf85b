"""The small-cell rule itself (unspoken.smallcells): which groups of a table by subgroup may
be reported. Every expected verdict below is worked out by hand from the rule as documented:
a group needs min_n respondents, min(10, min_n) in each list arm and min_n in each other
part (the gap's direct answers); the suppressed groups together must pass the same rule, or
the smallest shown groups are suppressed as well (else subtracting the shown groups from the
total would give the suppressed ones); min_n = 1 shows every group."""

from __future__ import annotations

import pytest

from unspoken.errors import DataError
from unspoken.smallcells import (
    ARM_MIN,
    DEFAULT_MIN_N,
    Cell,
    check_min_n,
    screen,
    whole_sample_note,
)

REASON = "suppressed to protect respondents; set min_n to change"


def test_defaults():
    assert DEFAULT_MIN_N == 30 and ARM_MIN == 10


def test_group_of_three_is_suppressed_without_its_count():
    s = screen([Cell(3), Cell(27), Cell(500), Cell(700)])  # 3 + 27 = 30 together
    v = s.verdicts
    assert [x.shown for x in v] == [False, False, True, True]
    assert v[0].n_text == "n < 30" and v[1].n_text == "n < 30"
    assert v[0].note == f"fewer than 30 respondents: {REASON}"
    assert "3" not in v[0].note.replace("30", "")  # the count itself is never in the text
    assert s.notes == []  # nothing shown at the user's request


def test_arm_rule_for_list_designs():
    # 35 respondents but only 8 treated: the arm rule suppresses it; 10 treated pass
    cells = [
        Cell(35, {"treated": 8, "control": 27}),
        Cell(40, {"treated": 10, "control": 30}),
        Cell(500, {"treated": 250, "control": 250}),
        Cell(600, {"treated": 300, "control": 300}),
    ]
    # the suppressed group alone: 35 respondents, but 8 treated < 10, so the complement
    # attack would expose an arm of 8: the smallest shown group (40) is suppressed too
    v = screen(cells).verdicts
    assert [x.shown for x in v] == [False, False, True, True]
    assert v[0].n_text == "n < 10 in an arm"
    assert v[0].note == f"fewer than 10 respondents in the treated arm: {REASON}"
    assert v[1].n_text == "not shown" and "worked out" in v[1].note


def test_secondary_suppression_only_when_the_suppressed_groups_are_too_small_together():
    # 3 + 27 = 30 respondents together: subtracting gives only that union, which passes
    v = screen([Cell(3), Cell(27), Cell(400), Cell(500)]).verdicts
    assert [x.shown for x in v] == [False, False, True, True]
    # 3 alone: the smallest shown group (400) goes too, the largest stays
    v = screen([Cell(3), Cell(500), Cell(400)]).verdicts
    assert [x.shown for x in v] == [False, True, False]
    # two groups: the other one equals total minus the small one, so both go
    v = screen([Cell(3), Cell(900)]).verdicts
    assert [x.shown for x in v] == [False, False]
    # no suppressed group: nothing else changes
    assert all(x.shown for x in screen([Cell(30), Cell(31)]).verdicts)


def test_parts_need_min_n_each():
    # the gap: 40 list respondents but only 20 answered the direct question
    v = screen(
        [
            Cell(40, {"treated": 20, "control": 20}, {"direct question": 20}),
            Cell(40, {"treated": 20, "control": 20}, {"direct question": 40}),
            Cell(40, {"treated": 20, "control": 20}, {"direct question": 40}),
        ]
    ).verdicts
    assert [x.shown for x in v] == [False, False, True]
    assert v[0].n_text == "n < 30 (direct question)"
    assert v[0].note == f"fewer than 30 respondents (direct question): {REASON}"


def test_lower_min_n_shows_small_groups_with_a_note():
    cells = [Cell(3, {"treated": 2, "control": 1}), Cell(35, {"treated": 8, "control": 27})]
    s = screen(cells, min_n=1)
    assert all(x.shown for x in s.verdicts)
    assert len(s.notes) == 1 and "shown at the user's request" in s.notes[0]
    assert "min_n = 1" in s.notes[0]
    # min_n = 5: the arm minimum is 5, so groups of 3 and 4 are still suppressed (11
    # together, 6 treated and 5 control: enough) and 8 treated pass
    four = Cell(4, {"treated": 2, "control": 2})
    s = screen([cells[0], four, four, cells[1], Cell(500, {"treated": 250, "control": 250})],
               min_n=5)  # fmt: skip
    assert [x.shown for x in s.verdicts] == [False, False, False, True, True]
    assert s.verdicts[0].n_text == "n < 5"
    assert "shown at the user's request" in s.notes[0]
    # a lower min_n whose shown groups all pass the default rule needs no note
    assert screen([Cell(300), Cell(400)], min_n=5).notes == []
    # min_n = 1 shows even a group with an empty arm (the estimator says if it cannot)
    assert screen([Cell(4, {"treated": 4, "control": 0})], min_n=1).verdicts[0].shown


def test_higher_min_n_keeps_the_arm_minimum_at_ten():
    cells = [
        Cell(60, {"treated": 10, "control": 50}),  # 10 treated: enough even for min_n = 40
        Cell(45, {"treated": 40, "control": 5}),
        Cell(30, {"treated": 15, "control": 15}),  # with the one above: 75, 55 and 20
        Cell(500, {"treated": 250, "control": 250}),
    ]
    v = screen(cells, min_n=40).verdicts
    assert [x.shown for x in v] == [True, False, False, True]
    assert v[1].note.startswith("fewer than 10 respondents in the control arm")


@pytest.mark.parametrize("bad", [0, -3, 2.5, float("nan"), float("inf"), "30", True, None])
def test_min_n_must_be_a_positive_whole_number(bad):
    with pytest.raises(DataError, match="min_n") as e:
        check_min_n(bad)
    assert e.value.param == "min_n"


def test_min_n_accepts_whole_numbers_of_any_type():
    import numpy as np

    assert check_min_n(np.int64(12)) == 12 and check_min_n(5.0) == 5


def test_whole_sample_note():
    assert whole_sample_note(Cell(30), 30) is None
    note = whole_sample_note(Cell(12), 30)
    assert note is not None and "12 respondents" in note and "fewer than 30" in note
    note = whole_sample_note(Cell(40, {"treated": 35, "control": 5}), 30)
    assert note is not None and "5 respondents in the control arm" in note
    assert whole_sample_note(Cell(3), 1) is None
