"""Clients of the clinic. URL rules and their access: ``routes.py``."""
