"""The start page's read model (issue 15.1), «what do I do today» for each of the actor's roles
(`sections`: a teacher's day and debts, a class teacher's class, a parent's or a student's news, the
administration's overdue deadlines — from the journal's, the diary's and the control page's reads), and
the time of a user's last visit that a student's news are counted from (`visits`).
"""
