"""People domain: person cards of staff, students and parents (`cards`) and their accounts: passwords,
login throttling, issuing and resetting logins (`accounts`); the slips of issued logins kept for one download
(`slips`); parents' requests to correct personal data (`requests`); who logged in over a range
(`activity`, the activity report's data).
"""
