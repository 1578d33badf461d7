"""Intake, consent and contraindication screening.

URL rules and their access: ``routes.py``. ``screening`` is the pure rules
engine; importing it (or any module here) never imports views.
"""
