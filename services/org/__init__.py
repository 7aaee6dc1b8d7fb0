"""Organization domain: the organization card, its academic years, periods, holidays, classes (`orgs`) and
the working-day calendar every deadline is counted in (`calendar`).
"""
