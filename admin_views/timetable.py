"""Views of bell schedule, timetable, changes, exam sessions, lessons."""

PLANNING = "Планирование"
TIMETABLE = "Расписание"


def views():
    """The secure model views of this domain, registered in admin_views/registry.py."""
    return []


def pages():
    """Hand-made pages of this domain."""
    return []
