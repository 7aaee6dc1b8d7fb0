"""The benchmark harness (issue 7): `python -m bench.run` measures the journal, the diary and the
reports on a large data set, on SQLite and PostgreSQL, against the budgets of the issue;
`python -m bench.load` is the load test (gunicorn, 2 workers, PostgreSQL). See bench/RESULTS.md.

Modules: `dataset` (databases, the data set, bench accounts, what each measurement targets),
`measure` (the in-process measurements through the Flask test client), `run` (the command line
and the table), `load` (the load test), `machine` (what the numbers were taken on).

Releases (issue 14): `snapshot` (`python -m bench.snapshot DIR`, `--compare A B`: what every demo role
sees, to check that a refactor changes nothing), `release_db` (the release's database as the fixture
of tests/test_release_upgrade.py).
"""
