"""Announcements (объявления, issue 16.3).

- `board.py`: who publishes what (the permission table's "announcement_edit"; a class teacher only for his own
  class), publish, edit, withdraw, the notifications; what an actor reads (the reading list, the start page,
  the diary's week) and the attachments' (up to MAX_FILES) download check.
"""
