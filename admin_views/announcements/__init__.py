"""«Объявления»: the reading list, publishing and editing (services/announcements/board.py)."""
