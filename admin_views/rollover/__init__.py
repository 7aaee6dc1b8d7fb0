"""Pages of the rollover domain: the year rollover wizard and the transfer between semesters.
"""
