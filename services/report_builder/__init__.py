"""«Конструктор отчётов» (issue 18.1, seed 001 §10.5): `catalogue.py` (the entities, their columns and what each
column needs of the permission table), `definition.py` (a definition checked against the catalogue for an actor),
`run.py` (the definition as one SELECT plus one count, under a statement timeout, capped), `saved.py` (saved
reports: own and shared, edited and deleted by their author only)."""
