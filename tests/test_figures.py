"""The figures of SPEC §4 (services/journal/figures.py `figures`), pinned by hand computations."""
from decimal import Decimal

from services.journal.figures import (AttendanceCounts, figures, mark_category, percent, pooled_average,
                                     student_category)


def test_one_subject_by_hand():
    # 10 students: 5 5 4 4 4 3 2 н/а осв and one without a mark.
    marks = dict(enumerate(["5", "5", "4", "4", "4", "3", "2", "н/а", "осв", None]))
    f = figures(marks)
    assert (f.students, f.n5, f.n4, f.n3, f.n2, f.n_na, f.n_exempt, f.n_none) == (10, 2, 3, 1, 1, 1, 1, 1)
    # N = 10 − 1 «осв» − 1 without a mark = 8; «н/а» stays in N.
    assert f.N == 8
    # успеваемость = (2 + 3 + 1) / 8 = 75 %; качество = (2 + 3) / 8 = 62.5 %
    assert f.success == Decimal("75.0") and f.quality == Decimal("62.5")
    # СОУ = (100·2 + 64·3 + 36·1 + 16·1 + 7·1) / 8 = (200 + 192 + 36 + 16 + 7) / 8 = 451 / 8 = 56.375 → 56.4
    assert f.sou == Decimal("56.4")


def test_rounding_half_up_to_one_place():
    # 2 of 3: 66.666… → 66.7; 1 of 3: 33.333… → 33.3; СОУ (100 + 64 + 16) / 3 = 60.0
    f = figures({1: "5", 2: "4", 3: "2"})
    assert (f.success, f.quality, f.sou) == (Decimal("66.7"), Decimal("66.7"), Decimal("60.0"))
    f = figures({1: "5", 2: "3", 3: "3"})
    assert f.quality == Decimal("33.3")


def test_percent_is_the_one_percentage():
    # 2 of 3: 66.666… → 66.7; 1 of 16: 6.25 → 6.3 (half up, not to even); 0 of 5: 0.0; of nothing: None
    assert percent(2, 3) == Decimal("66.7") and percent(1, 16) == Decimal("6.3")
    assert percent(0, 5) == Decimal("0.0") and percent(3, 0) is None
    # Decimal parts (hours): 17 of 34.0 → 50.0
    assert percent(17, Decimal("34.0")) == Decimal("50.0")


def test_an_empty_class_and_an_all_exempt_class_have_no_percentages():
    empty = figures({})
    assert (empty.N, empty.success, empty.quality, empty.sou) == (0, None, None, None)
    exempt = figures({1: "осв", 2: "осв"})
    assert (exempt.students, exempt.n_exempt, exempt.N, exempt.success) == (2, 2, 0, None)
    nobody = figures({1: None, 2: ""})
    assert (nobody.n_none, nobody.N, nobody.sou) == (2, 0, None)


def test_one_and_fail_count_with_two_and_a_pass_counts_for_success_only():
    assert mark_category("1") == "2" and mark_category("незач") == "незач" and mark_category(" 5 ") == "5"
    # A pass/fail subject: 3 «зач», 1 «незач»: успеваемость 3/4 = 75 %, no quality or СОУ to speak of.
    f = figures({1: "зач", 2: "зач", 3: "зач", 4: "незач"})
    assert (f.N, f.n_pass, f.n_fail, f.success, f.quality, f.sou) == (4, 3, 1, Decimal("75.0"), None, None)
    # Over all subjects «незач» fails the student like a «2».
    assert student_category(["5", "незач"]) == "2"


def test_all_subjects_each_student_counts_in_his_worst_category():
    students = {
        "отличник": ["5", "5", "зач", "осв"],      # passes and exemptions do not lower him
        "хорошист": ["5", "4", "4"],
        "с одной 3": ["5", "4", "3"],
        "с 2": ["5", "2", "3"],
        "н/а и 2": ["н/а", "2"],                   # «н/а» is the worst
        "освобождён": ["осв", "осв"],
        "без отметок": [],
    }
    assert [student_category(v) for v in students.values()] == ["5", "4", "3", "2", "н/а", "осв", None]
    f = figures(students, all_subjects=True)
    assert (f.n5, f.n4, f.n3, f.n2, f.n_na, f.n_exempt, f.n_none) == (1, 1, 1, 1, 1, 1, 1)
    # N = 7 − 1 − 1 = 5; успеваемость 3/5 = 60 %; качество 2/5 = 40 %;
    # СОУ = (100 + 64 + 36 + 16 + 7) / 5 = 223 / 5 = 44.6
    assert (f.N, f.success, f.quality, f.sou) == (5, Decimal("60.0"), Decimal("40.0"), Decimal("44.6"))


def test_pooled_average_weights_every_mark_not_every_student():
    # Student 1: 5·1 + 4·2 = 13 over 3; student 2: 3·1 = 3 over 1 → 16 / 4 = 4.00
    assert pooled_average([(Decimal(13), Decimal(3)), (Decimal(3), Decimal(1))]) == Decimal("4.00")
    # (3.8333 + 3) / 2 would be 3.42: the average of averages is not the figure.
    assert pooled_average([(Decimal("23"), Decimal("6")), (Decimal("3"), Decimal("1"))]) == Decimal("3.71")
    assert pooled_average([]) is None and pooled_average([(0, 0)]) is None


def test_attendance_counts_missed_lessons_by_reason_and_late_apart():
    counts = AttendanceCounts()
    for kind, n in (("absent", 2), ("ill", 5), ("excused", 1), ("late", 3)):
        counts.add(kind, n)
    assert counts.as_dict() == {"missed": 8, "ill": 5, "excused": 1, "unexcused": 2, "late": 3}
    total = AttendanceCounts()
    total += counts
    total += counts
    assert (total.missed, total.late) == (16, 6)
