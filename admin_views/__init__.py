"""Flask-Admin views. Nothing outside this package imports from it."""
