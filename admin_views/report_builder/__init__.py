"""«Конструктор отчётов» (issue 18.1): `views.py` (the saved reports, the builder, a run, its .xlsx), `forms.py`
(the builder's inputs turned into a definition for services/report_builder)."""
