"""Timetable domain: bells (`bells`), what a lesson at one time is and where the slots come from (`slots`), the
one rule that nobody is booked twice at one time (`clashes`), the weekly timetable of a class (`weekly`),
one-off changes on a date (`changes`), the timetable read for an actor and drawn as a grid (`grid`), the
exam-session timetable (`exams`) and the journal's lessons made from the timetable (`lessons`).
"""
