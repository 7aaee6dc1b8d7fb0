"""Column labels, declared once on the models: each model's `__labels__` ({attribute: label}), a
mixin's too (a person's name, sex, birth date …), and the fields many models share (`SHARED`).
admin_views/base.py builds a model view's `column_labels` from `labels_of(model)` merged with the
view's own, which names only labels that differ. A label that depends on the kind of organization
(класс / группа, предмет / дисциплина) is a `services.terms.KindText`, resolved when it is rendered.
"""
from services.terms import KindText

# Labelled once here, on every model that has the attribute (the part before a dot).
SHARED = {
    "year": "Учебный год", "year.name": "Учебный год",
    "klass": KindText("class"), "klass.name": KindText("class"),
    "grade": KindText("grade"),
    "subject": KindText("subject"), "subject.name": KindText("subject"),
    "sort_order": "Порядок",
}


def labels_of(model):
    """{attribute: label} of a model: the shared ones it has, then its classes' `__labels__` (a mixin's
    first, the model's own last)."""
    labels = {key: label for key, label in SHARED.items() if hasattr(model, key.split(".")[0])}
    for cls in reversed(model.__mro__):
        labels.update(vars(cls).get("__labels__", {}))
    return labels
