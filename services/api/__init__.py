"""The NetSchool-compatible diary API (issue 19): `passwords.py` (a user's app passwords: create, list, revoke,
the protocol's proof), `sessions.py` (the login's salt and one-time `lt`, the `at` tokens: issue, check,
expire, log out, throttled like logins), `netschool.py` (what each endpoint answers, in the shapes the
clients `netschoolapi` and `netschoolpy` parse, from the product's own diary)."""
