"""The landing page. URL rules and their access: ``routes.py``."""
