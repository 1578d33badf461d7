"""URL converters: ``<int:...>`` takes only ids the database can hold."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from clinic.db import INTEGER_LIMIT


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to the integer columns (at most INTEGER_LIMIT
    unless the rule says ``max=``): a larger number does not match the rule,
    so it is a 404 like any other unknown id, instead of a lookup that
    PostgreSQL (beyond 2^31) or SQLite (beyond 2^63) fails with an error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INTEGER_LIMIT)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before any blueprint: each rule picks its converter when it is added."""
    app.url_map.converters["int"] = IdConverter
