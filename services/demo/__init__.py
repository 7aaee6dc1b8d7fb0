"""Demo data: the small demo institution (`school`) with its planning, timetable, journal and final marks
steps, and the large data set for performance work (`large`). Never imported by the application at
start-up nor by the rules' loading: only the `demo-data` command and the tests load it.
"""
