"""gunicorn settings, read from the working directory (gunicorn loads
``./gunicorn.conf.py`` by default): production started from the checkout,
`make bench` and the test servers all run with them. Options given on the
command line still win."""

import gc

# Seconds a worker may spend on one request before the master kills it (the
# client then gets no answer at all). A request waits at most
# DB_LOCK_TIMEOUT_MS (5 s) for a database lock and then answers "busy".
timeout = 30


def post_worker_init(worker) -> None:
    """Freeze what the worker built at start-up: the app, SQLAlchemy's
    mappers, compiled templates, fonts, about 160,000 objects that live as
    long as the worker. Python's full garbage collections otherwise rescan
    them all, and a request that allocates a lot (a month of availability
    reads 10,000 rows) set one off about every third time: 40 ms became
    130-180 ms. Frozen objects are never collected, which is what they are
    meant for; everything a request creates is still collected as before."""
    gc.freeze()
