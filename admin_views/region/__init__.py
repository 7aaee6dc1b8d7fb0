"""«Регион»: the regional specialists' roll-ups (`views.py`) and the installation administrator's regions,
municipalities and regional specialists' cards."""
