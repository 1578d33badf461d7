"""Services, series protocols, rooms and devices. URL rules: ``routes.py``."""
