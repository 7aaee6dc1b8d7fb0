"""The «Контроль» page: the regulations' deadlines of the user's roles.
"""
