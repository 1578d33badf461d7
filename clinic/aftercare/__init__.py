"""Aftercare sheets: templates, per-visit PDF sheets, prints and reprints."""
