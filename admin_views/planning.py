"""Views of subjects, curriculum, teaching assignments, subgroups, КТП."""

PLANNING = "Планирование"
TIMETABLE = "Расписание"


def views():
    """The secure model views of this domain, registered in admin_views/registry.py."""
    return []


def pages():
    """Hand-made pages of this domain."""
    return []
