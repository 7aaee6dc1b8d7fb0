"""The timetable's one rule: no teacher, room or class is booked twice at one time (two subgroups of a class
may study in parallel, the whole class and one of its subgroups may not). Checked by the weekly timetable,
the changes on dates and the exam-session timetable alike."""
from collections import defaultdict

from models import WEEKDAYS, WEEKDAYS_ON
from services.terms import term


def when_text(day, shift, number):
    if isinstance(day, int):
        when = WEEKDAYS_ON[day]
    else:
        when = f"{day:%d.%m.%Y} ({WEEKDAYS.get(day.isoweekday(), 'воскресенье').lower()})"
    return f"{when}, {number}-й урок" + (" 2-й смены" if shift == 2 else "")


def _overlap(a, b, times):
    if a == b:
        return True
    ta, tb = times.get(a), times.get(b)
    return bool(ta and tb and ta[0] < tb[1] and tb[0] < ta[1])


def find_clashes(catalog, slots, times, focus=None, culprits=None):
    """Russian messages naming every booking of a teacher, a room or a class twice at one time.

    `focus` limits the report to clashes that involve those slot keys (the ones being saved);
    `culprits` (a dict) gets the first clash of each such slot, by its key: (what is booked twice — "teacher",
    "room" or "class" —, the message), for a form to mark its input.
    """
    org = catalog.org
    teacher_word, class_word = term("teacher", org), term("class_gen", org)
    room_word = "Аудитория" if org.is_college else "Кабинет"
    active = [s for s in slots if not s.cancelled]
    by_day = defaultdict(lambda: defaultdict(list))
    for s in active:
        by_day[s.day][(s.shift, s.number)].append(s)
    messages, seen = [], set()

    def report(kind, a, b, text):
        pair = (kind, frozenset((a.key, b.key)))
        if culprits is not None:
            culprits.setdefault(a.key, (kind, text))
        if pair not in seen:
            seen.add(pair)
            if text not in messages:
                messages.append(text)

    for day, groups in by_day.items():
        keys = list(groups)
        for ka in keys:
            near = [kb for kb in keys if _overlap(ka, kb, times)]
            for a in groups[ka]:
                if focus is not None and a.key not in focus:
                    continue
                for kb in near:
                    for b in groups[kb]:
                        if b is a:
                            continue
                        when = when_text(day, b.shift, b.number)
                        info_b = catalog.assignments[b.assignment_id]
                        cls_b = catalog.class_name(b.class_id)
                        if a.teacher_id == b.teacher_id:
                            report("teacher", a, b,
                                   f"{teacher_word} {catalog.teacher_name(b.teacher_id)} уже ведёт урок "
                                   f"{when}, в {cls_b} ({info_b.label})")
                        if a.room_id and a.room_id == b.room_id:
                            busy = "занята" if org.is_college else "занят"
                            report("room", a, b, f"{room_word} {catalog.room_name(b.room_id)} уже {busy} "
                                                 f"{when}: {cls_b}, {info_b.label}")
                        if a.class_id == b.class_id:
                            text = _class_clash_text(catalog, a, b, when, class_word, cls_b, info_b)
                            if text:
                                report("class", a, b, text)
    return messages


def _class_clash_text(catalog, a, b, when, class_word, cls_b, info_b):
    info_a = catalog.assignments[a.assignment_id]
    if a.subgroup_key and b.subgroup_key and a.subgroup_key != b.subgroup_key:
        return None  # two subgroups of one class study in parallel
    if not a.subgroup_key and not b.subgroup_key:
        return f"У {class_word} {cls_b} {when} уже стоит урок: {info_b.label}"
    if not b.subgroup_key:
        return (f"У {class_word} {cls_b} {when} уже стоит урок всего {class_word} ({info_b.label}): "
                f"урок подгруппы ({info_a.label}) в это время поставить нельзя")
    if not a.subgroup_key:
        return (f"У {class_word} {cls_b} {when} уже стоит урок подгруппы ({info_b.label}): "
                f"урок всего {class_word} ({info_a.label}) в это время поставить нельзя")
    return f"У подгруппы «{info_b.subgroup}» {class_word} {cls_b} {when} уже стоит урок: {info_b.label}"
