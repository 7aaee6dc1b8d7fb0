"""Organization domain: the organization card, its academic years, periods, holidays, classes (`orgs`),
the working-day calendar every deadline is counted in (`calendar`) and the current academic year
(`years.current_year`).
"""
