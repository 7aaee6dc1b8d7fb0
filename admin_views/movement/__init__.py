"""Pages of the movement domain: orders, class history, the transfer to the next year.
"""
