"""Movement domain: the movement book's orders, drafted, checked and applied (`orders`); a new student's card
in an enrollment order (`enrollment`); a new student's card enrolled by an applied order with his parents in one
step (`admission`); a student's journal entries after a backdated order (`entries`); the
transfer to the next year (`year_transfer`); the guards every flush passes and `book_writes` (`guards`); the
history of cards made before the book (`backfill`) and `flask movement` (`cli`); class lists as of any date
from its history (`roster`). `_common` is private to the package.
"""
