from decimal import Decimal

import pytest

from services.journal.figures import suggested_mark, weighted_average


def test_weighted_average_by_hand():
    # (5·1 + 3·2 + 4·3) / (1 + 2 + 3) = 23 / 6 = 3.8333…
    assert weighted_average([("5", 1), ("3", 2), ("4", "3")]) == Decimal("3.83")


def test_pass_fail_and_empty_values_do_not_count():
    assert weighted_average([("зач", 1), ("", 2), (None, 1), ("4", 2)]) == Decimal("4.00")
    assert weighted_average([("незач", 1)]) is None
    assert weighted_average([]) is None


@pytest.mark.parametrize("average, threshold, expected", [
    ("4.50", "0.50", 5), ("4.49", "0.50", 4), ("4.59", "0.60", 4), ("4.60", "0.60", 5),
    ("2.50", "0.50", 3), ("1.00", "0.50", 1), ("5.00", "0.50", 5),
])
def test_suggested_mark_rounds_at_the_threshold(average, threshold, expected):
    assert suggested_mark(Decimal(average), Decimal(threshold)) == expected


def test_the_average_is_rounded_before_the_threshold():
    # 4.495 shows as 4.50 and so suggests 5, as the teacher sees it.
    avg = weighted_average([("5", "0.995"), ("4", "1.005")])
    assert avg == Decimal("4.50") and suggested_mark(avg) == 5
