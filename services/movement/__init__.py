"""Movement domain: the movement book's orders, drafted, checked and applied (`orders`), and class lists as
of any date from its history (`roster`).
"""
