"""Owner/admin area: staff management. URL rules and their access: ``routes.py``."""
