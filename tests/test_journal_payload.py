"""The journal grid's payload (services/journal/payload.py), parsed once: the page's JSON strictly (a
wrong shape refused at once, in Russian), a script's dict loosely (a wrong value left for the save to
report with its row); either way the save reads the same typed items."""
import json
from decimal import Decimal

import pytest

from services.errors import DomainError
from services.journal.payload import (NOT_AN_ID, AttendanceItem, GridPayload, LessonItem, MarkItem, PeriodMarkItem,
                                      TaskItem)

PAGE = {
    "lessons": [{"lesson_id": 3, "version": 2, "topic": "  Дроби ", "homework_due_lesson_id": ""}],
    "tasks": [{"task_id": None, "key": "k1", "lesson_id": 3, "type_id": 4, "weight": "1,5", "is_mandatory": 1},
              {"task_id": 9, "version": 1, "delete": True}],
    "marks": [{"task_key": "k1", "student_id": 5, "value": " 5 ", "comment": ""},
              {"task_id": 9, "student_id": 5, "value": "Зач", "version": 3}],
    "attendance": [{"lesson_id": 3, "student_id": 5, "code": "Н"}],
    "period_marks": [{"student_id": 5, "value": "4", "version": 1}],
}


def test_the_page_payload_is_parsed_into_typed_items():
    payload = GridPayload.from_json(json.dumps(PAGE)).in_period(11)
    assert payload.lessons == (LessonItem(lesson_id=3, version=2, topic="Дроби", homework_due_set=True),)
    new, old = payload.tasks
    assert new == TaskItem(task_id=None, key="k1", lesson_id=3, type_id=4, weight=Decimal("1.50"), is_mandatory=True)
    assert old == TaskItem(task_id=9, version=1, delete=True)
    assert payload.marks == (MarkItem(task_key="k1", student_id=5, value="5", shown="5", comment=""),
                             MarkItem(task_id=9, student_id=5, value="зач", shown="Зач", comment="", version=3))
    assert payload.attendance == (AttendanceItem(lesson_id=3, student_id=5, code="н", shown="Н"),)
    assert payload.period_marks == (PeriodMarkItem(student_id=5, kind="period", period_id=11, value="4", shown="4",
                                                   version=1),)
    assert not payload.empty and GridPayload.parse({"marks": []}).empty


@pytest.mark.parametrize("raw, reason", [
    ("[1]", "неверный формат"),
    ('{"lessons": {"lesson_id": 3}}', "lessons"),
    ('{"lessons": [{"lesson_id": 3}]}', "версия урока"),
    ('{"tasks": [{"task_id": "7.5", "version": 1}]}', "задание"),
    ('{"tasks": [{"lesson_id": 3, "weight": "тяжёлый"}]}', "вес задания"),
    ('{"marks": [{"student_id": 5, "value": "5"}]}', "задание"),
    ('{"marks": [{"task_id": 1, "student_id": 5, "value": "5", "comment": "' + "к" * 301 + '"}]}',
     "«Комментарий к отметке» длиннее 300 символов (301)"),
    ('{"attendance": [{"lesson_id": 3, "student_id": "1e3", "code": "н"}]}', "ученик"),
    ('{"lessons": [{"lesson_id": 1, "topic": "a"}]', "неверный формат"),
])
def test_a_wrong_page_payload_is_refused_in_russian(raw, reason):
    with pytest.raises(DomainError) as refused:
        GridPayload.from_json(raw)
    assert str(refused.value) == f"Данные журнала не разобраны: {reason}" and not refused.value.errors


def test_a_scripts_dict_is_parsed_loosely_and_its_wrong_values_are_left_to_the_save():
    payload = GridPayload.from_dict({
        "lessons": [{"lesson_id": "3", "homework_due_lesson_id": "x", "attendance_taken": 1}],
        "tasks": [{"task_id": "abc"}, {"key": "k", "lesson_id": 3, "type_id": "y", "weight": "0", "version": "v"}],
        "period_marks": [{"student_id": 5, "kind": " year ", "value": "Н/А"}]})
    assert payload.lessons == (LessonItem(lesson_id=3, homework_due_set=True, homework_due_lesson_id=NOT_AN_ID,
                                          attendance_taken=True),)
    bad_id, new = payload.tasks
    assert bad_id.task_id == NOT_AN_ID
    assert new.type_id == NOT_AN_ID and new.weight is None and new.weight_error.startswith("вес задания")
    assert new.bad_version and new.version_given
    errors = []
    assert new.checked_version(errors, "Задание") is None and errors == ["Задание: неверная версия записи"]
    assert payload.period_marks == (PeriodMarkItem(student_id=5, kind="year", value="н/а", shown="Н/А"),)


def test_a_scripts_dict_whose_list_is_not_a_list_of_records_is_refused_at_once():
    with pytest.raises(DomainError) as refused:
        GridPayload.from_dict({"lessons": [], "tasks": [1], "marks": "x"})
    assert refused.value.message == "Изменения не сохранены"
    assert refused.value.errors == ["«tasks»: ожидается список записей"]


def test_the_page_payload_and_the_same_dict_from_a_script_are_the_same_object():
    page = GridPayload.parse(PAGE)
    script = GridPayload.from_dict({name: [dict(i) for i in items] for name, items in PAGE.items()})
    assert page.lessons == script.lessons and page.attendance == script.attendance
    assert [t.task_id for t in page.tasks] == [t.task_id for t in script.tasks]
