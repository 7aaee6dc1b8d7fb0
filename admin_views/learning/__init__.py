"""The pages of learning materials and electronic tests (issue 18.4): `quizzes.py` (the teacher's tests, their
results; the student's «Тесты»), its inputs `quiz_forms.py`."""
