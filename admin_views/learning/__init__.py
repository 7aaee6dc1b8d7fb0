"""Pages of learning materials and distance courses (issue 18.4): `views.py` «Учебные материалы»
(services/learning/)."""
