"""Benchmark support: ``flask --app clinic seed-bench`` and the baseline route.

``seed-bench`` fills a database with a large, consistent clinic fast: plain
DB-API ``executemany`` in chunks, one transaction per chunk, no ORM object
per row. The layout is a grid, so no resource is ever double booked (the
PostgreSQL exclusion constraint accepts every row):

- 20 estheticians in two groups; each works a 7-hour shift a day (07:00-14:00
  or 14:00-21:00, the groups swap every other weekday) in one room with one
  device, shared with an esthetician of the other group, never at once.
- A shift is 28 quarter-hours. A million appointments in five years is 548 a
  day, which ten rooms can only hold as quarter-hour appointments: the
  history is booked with a 15-minute express service (added by this
  command), 90% full. The next 14 days mix it with the regular
  60+15-minute facial and empty out (98% full for three days, 10% two weeks
  ahead), so there is something left to plan.
- The density is fixed and the history is as long as ``--appointments``
  needs: 1,000,000 spans about five years, 10,000 about a week. Both have
  the same busy days ahead, so per-request costs compare across sizes.
- Every client has one clear intake (a "no" to each active rule) signed in
  the last eight months, so anyone can be booked; names run from a few common
  surnames to a long tail, as in a real client list.
- Extra cancelled (and, in the past, no-show) appointments share the grid
  cells of active ones (their allocations are inactive); about 30% of the
  appointments belong to series of 10 sessions, a session every 2-5 days with
  the same esthetician; one completed appointment in ten has a signed visit
  with zone notes.

With ``BENCH_MODE`` on (environment variable, never in production), the app
also serves ``/bench/baseline``: the day calendar template rendered from
static data, the yardstick the day calendar's throughput is compared with.
"""

from __future__ import annotations

import json
import os
import secrets
import sys

import click
from flask import Blueprint, Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from clinic.access import STAFF, route
from clinic.bench.baseline import baseline
from clinic.bench.seed import ADMIN_EMAIL, FUTURE_DAYS, seed
from clinic.clients.models import Client
from clinic.extensions import db


@click.command("seed-bench")
@with_appcontext
@click.option("--clients", default=100_000, show_default=True, type=click.IntRange(1))
@click.option(
    "--appointments", default=1_000_000, show_default=True, type=click.IntRange(1)
)
@click.option("--force", is_flag=True, help="Add to a database that has clients.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help=f"Read the password of {ADMIN_EMAIL} and the estheticians from stdin.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def seed_bench_command(clients, appointments, force, password_stdin, as_json) -> None:
    """Fill the database with a large clinic for `make bench` (bulk inserts)."""
    if db.session.scalar(select(Client.id).limit(1)) is not None and not force:
        raise click.ClickException(
            "this database already has clients; seed-bench is for an empty "
            "benchmark database (use --force to add to it anyway)."
        )
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = secrets.token_urlsafe(12)
    summary = seed(clients, appointments, password)
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"Seeded {summary['clients']} clients and {summary['appointments']} "
        f"appointments over {summary['history_days']} days of history and "
        f"{FUTURE_DAYS} ahead in {summary['seconds']['total']} s."
    )
    if not password_stdin:
        click.echo(f"Sign in as {ADMIN_EMAIL} with {password} (shown only now).")


def _bench_mode(app: Flask) -> bool:
    if "BENCH_MODE" in app.config:
        return bool(app.config["BENCH_MODE"])
    if app.testing:
        return False
    return os.environ.get("BENCH_MODE", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def init_app(app: Flask) -> None:
    from clinic import crashpoint

    app.cli.add_command(seed_bench_command)
    crashpoint.init_app(app, _bench_mode(app))
    if _bench_mode(app):
        bp = Blueprint("bench", __name__)
        route(bp, "/bench/baseline", baseline, allow=STAFF)
        app.register_blueprint(bp)
        app.logger.warning("BENCH_MODE is on: /bench/baseline is served.")
