"""Pages of the timetable domain: bells, the weekly timetable, changes, exam sessions, lessons.
"""
