"""Timetable domain: bells, the weekly timetable and one-off changes (`schedule`), the exam-session timetable
(`exams`) and the journal's lessons made from the timetable (`lessons`).
"""
