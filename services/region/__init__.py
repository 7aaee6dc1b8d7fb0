"""The regional layer (issue 20.1): `scope.py` — a regional specialist's card and the one computation of
his scope's organizations."""
