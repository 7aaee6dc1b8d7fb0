"""Learning materials, distance courses and electronic tests (seed 001 stage IV, issue 18.4).

- `materials.py`: a teacher's materials (a file, a link, a text) per subject and grade, private or shared with his
  colleagues; courses (an ordered set of materials); their assignment to a lesson he gives or to a class or subgroup
  he teaches for a window of dates; what a student (his parent) sees: the diary's «Материалы».
- `quizzes.py`: the tests: building, assigning, taking, scoring, the marks into the journal.
"""
