"""Rollover domain: the transition to the next academic year (`year`) and a college's technical transfer
between semesters (`semester`).
"""
