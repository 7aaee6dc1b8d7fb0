"""Pages of the organization domain: the organization card, years, periods, holidays, working days, rooms.
"""
