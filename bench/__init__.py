"""The benchmark harness (issue 7): `python -m bench.run` measures the journal, the diary and the
reports on a large data set, on SQLite and PostgreSQL, against the budgets of the issue;
`python -m bench.load` is the load test (gunicorn, 2 workers, PostgreSQL). See bench/RESULTS.md.

Modules: `dataset` (databases, the data set, bench accounts, what each measurement targets),
`measure` (the in-process measurements through the Flask test client), `run` (the command line
and the table), `load` (the load test), `machine` (what the numbers were taken on).
"""
