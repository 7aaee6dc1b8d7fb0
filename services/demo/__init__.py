"""Demo data: the small demo institution (`school`) with its planning, timetable, journal, movement book and
final marks steps, and the large data set for performance work (the package `large`, entry point
`large.run`). Never imported by the application at start-up nor by the rules' loading: only the `demo-data`
command, bench/dataset.py and the tests load it.
"""
