"""Visits: re-screening, per-zone microcurrent notes, signing and series trends."""
