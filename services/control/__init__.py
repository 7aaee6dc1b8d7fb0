"""Control domain: the regulations' deadlines, overdue and due soon, per role (`deadlines`).
"""
