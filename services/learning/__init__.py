"""Learning materials and electronic tests (issue 18.4, seed 001 stage IV): `quizzes.py` (the tests: building,
assigning, taking, scoring, the marks into the journal)."""
