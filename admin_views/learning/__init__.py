"""The pages of learning materials, distance courses and electronic tests (issue 18.4): `views.py` «Учебные
материалы» (services/learning/materials.py); `quizzes.py` (the teacher's tests, their results; the student's
«Тесты»), its inputs `quiz_forms.py`."""
