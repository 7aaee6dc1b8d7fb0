"""Pages of the people domain: staff, students, parents, classes, accounts.
"""
