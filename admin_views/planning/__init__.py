"""Pages of the planning domain: subjects, curriculum, teaching assignments, subgroups, КТП.
"""
