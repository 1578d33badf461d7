"""Staff accounts and sign-in. URL rules and their access: ``routes.py``."""
