"""Scheduling: hours, availability, series and appointments."""
