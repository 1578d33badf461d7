"""`make bench`: the clinic under gunicorn with a large data set, measured.

For each size (10,000 and 1,000,000 appointments) the runner
1. builds the data set once with ``flask seed-bench`` into a cached database
   (``bench-results/cache/*.sqlite3``, or the PostgreSQL databases
   ``clinic_bench`` / ``clinic_bench_10000`` when ``TEST_DATABASE_URL`` is set)
   and reuses it afterwards (``BENCH_REBUILD=1`` rebuilds it);
2. copies it to a scratch database, so every run starts from the same data;
3. times the service functions in this process: a month of availability
   for one service over all estheticians, and the client search;
4. starts gunicorn (``-w 2``, ``BENCH_MODE=1``) and loads it from this
   process: the day calendar and the bench-only baseline with wrk (a Python
   client when wrk is missing), then planning and booking 12-session series
   and aftercare PDFs one request at a time; the isolated reportlab build of
   the same sheet is timed here, in the same run.
Then it prints ``metric | value | target | ok/miss`` and writes the JSON to
``bench-results/``. Settings (environment): BENCH_SIZES ("10000,1000000"),
BENCH_CLIENTS_PER_APPOINTMENT (0.1), BENCH_RUNS (3), BENCH_DURATION (8 s),
BENCH_SAMPLES (15), BENCH_CONNECTIONS (8), BENCH_PORT (0: any free one), BENCH_REBUILD.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
CACHE = RESULTS / "cache"
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
CLIENT_SHARE = float(os.environ.get("BENCH_CLIENTS_PER_APPOINTMENT", "0.1"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "8"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
# Requests per measured sequence not counted. Each of the 2 workers has its
# own connection, and psycopg prepares a statement on the server only at its
# 5th execution there (prepare_threshold); with 4, the first prints measured
# were still getting faster (28 -> 24 ms over the first dozen).
WARM_UP = 12
PORT = int(os.environ.get("BENCH_PORT", "0"))  # 0: a free port
PG_URL = os.environ.get("TEST_DATABASE_URL")
SEARCHES = range(8)  # clients whose family name is searched for
PROTOCOL = "12 sessions, once or twice a week"

TARGETS = {  # metric: (comparison, target, unit)
    "calendar_vs_baseline": (">=", 0.40, "ratio"),
    "availability_month_ms": ("<=", 35.0, "ms"),
    "series_plan_ms": ("<=", 50.0, "ms"),
    "series_book_ms": ("<=", 100.0, "ms"),
    "client_search_ms": ("<=", 20.0, "ms"),
    "aftercare_vs_build": ("<=", 2.0, "ratio"),
}
GROWTH = 1.3  # the most a metric may worsen from 10,000 to 1,000,000 appointments
SCALED = [  # metric, larger is better
    ("calendar_rps", True),
    ("availability_month_ms", False),
    ("series_plan_ms", False),
    ("series_book_ms", False),
    ("client_search_ms", False),
    ("client_search_one_ms", False),
    ("aftercare_ms", False),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


# --- databases ---------------------------------------------------------------


class SQLiteStore:
    kind = "sqlite"

    def __init__(self, appointments: int):
        self.path = CACHE / f"clinic-{appointments}.sqlite3"
        self.meta = self.path.with_suffix(".json")
        self.work = RESULTS / "work.sqlite3"

    def url(self, which: str) -> str:
        return f"sqlite:///{self.path if which == 'cache' else self.work}"

    def exists(self) -> bool:
        return self.path.exists() and self.meta.exists()

    def drop_cache(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def make_work_copy(self) -> None:
        import sqlite3

        self.drop_work()
        with sqlite3.connect(self.path) as conn:  # fold the WAL into the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(self.path, self.work)

    def drop_work(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)


class PostgresStore:
    kind = "postgresql"

    def __init__(self, appointments: int):
        from sqlalchemy.engine import make_url

        self.server = make_url(PG_URL).set(drivername="postgresql+psycopg")
        self.name = (
            "clinic_bench"
            if appointments == 1_000_000
            else (f"clinic_bench_{appointments}")
        )
        self.work_name = f"{self.name}_run"
        self.meta = CACHE / f"pg-{self.name}.json"

    def url(self, which: str) -> str:
        name = self.name if which == "cache" else self.work_name
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _admin(self, sql: str):
        import psycopg

        dsn = self.server.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if sql.startswith("SELECT") else None

    def exists(self) -> bool:
        found = self._admin(
            f"SELECT 1 FROM pg_database WHERE datname = '{self.name}'"  # noqa: S608
        )
        return bool(found) and self.meta.exists()

    def drop_cache(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {self.name}")

    def make_work_copy(self) -> None:
        self.drop_work()
        # FILE_COPY copies the files (PostgreSQL 15's default, WAL_LOG, writes
        # the whole data set into the WAL first); then flush it all.
        (version,) = self._admin("SELECT current_setting('server_version_num')")[0]
        strategy = " STRATEGY = FILE_COPY" if int(version) >= 150000 else ""
        self._admin(f"CREATE DATABASE {self.work_name} TEMPLATE {self.name}{strategy}")
        self._admin("CHECKPOINT")

    def drop_work(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.work_name} WITH (FORCE)")


def environment(database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CLINIC_INSTANCE_PATH=str(RESULTS / "instance"),
        SESSION_COOKIE_SECURE="false",
        PYTHONPATH=str(ROOT),
    )
    env.pop("TEST_DATABASE_URL", None)
    env.update(extra)
    return env


def password() -> str:
    path = CACHE / "password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(18))
    return path.read_text().strip()


def ensure_dataset(store, appointments: int) -> dict:
    """The cached data set's summary; builds it first when missing."""
    flask = [str(BIN / "flask"), "--app", "clinic"]
    upgrade = [*flask, "db", "upgrade"]
    if store.exists() and not os.environ.get("BENCH_REBUILD"):
        meta = json.loads(store.meta.read_text())
        log(f"reusing the {appointments:,}-appointment data set of {meta['seeded_on']}")
        # Built by older code, it gets the migrations since, as a clinic would.
        env = environment(store.url("cache"))
        subprocess.run(upgrade, env=env, check=True, capture_output=True)  # noqa: S603
        return meta
    clients = max(1, int(appointments * CLIENT_SHARE))
    log(
        f"building {clients:,} clients and {appointments:,} appointments ({store.kind})"
    )
    store.drop_cache()
    env = environment(store.url("cache"))
    started = time.perf_counter()
    subprocess.run(upgrade, env=env, check=True, capture_output=True)  # noqa: S603
    migrated = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own venv's flask
        [
            *flask,
            "seed-bench",
            "--clients",
            str(clients),
            "--appointments",
            str(appointments),
            "--password-stdin",
            "--json",
        ],
        env=env,
        input=password() + "\n",
        text=True,
        capture_output=True,
    )
    if done.returncode:
        sys.exit(f"seed-bench failed:\n{done.stderr[-3000:]}")
    meta = json.loads(done.stdout.strip().splitlines()[-1])
    meta["wall_seconds"] = {
        "migrate": round(migrated - started, 1),
        "seed": round(time.perf_counter() - migrated, 1),
    }
    store.meta.write_text(json.dumps(meta, indent=2))
    log(f"seeded in {meta['wall_seconds']['seed']} s: {meta['rows']}")
    return meta


# --- in-process timings ------------------------------------------------------


def timed(function, samples: int) -> list[float]:
    function()  # warm caches and imports
    found = []
    for _ in range(samples):
        started = time.perf_counter()
        function()
        found.append((time.perf_counter() - started) * 1000)
    return found


def startup_done() -> None:
    """What the server's workers do once the app is loaded (gunicorn.conf.py):
    freeze the start-up objects, so that timings here see the same garbage
    collector as requests there."""
    gc.freeze()


def search_fragments(meta: dict) -> list[str]:
    """What the front desk types: 4 letters from inside a client's family name
    (clients spread over the whole table), and two fragments of common names."""
    from sqlalchemy import select

    from clinic.clients.models import Client
    from clinic.extensions import db

    first, last = meta["first_client_id"], meta["last_client_id"]
    step = max(1, (last - first) // len(SEARCHES))
    names = db.session.scalars(
        select(Client.family_name).where(
            Client.id.in_([first + n * step for n in range(len(SEARCHES))])
        )
    ).all()
    inner = [(name[1:5] if len(name) > 5 else name).lower() for name in names]
    return [*inner, "smith", "nguy"]


def in_process(database_url: str, meta: dict) -> dict:
    """Service timings, and what the HTTP part needs to know about the data."""
    os.environ.update(environment(database_url))
    from sqlalchemy import func, select

    from clinic import create_app
    from clinic.aftercare.models import AftercarePrint  # noqa: F401
    from clinic.catalogue.models import Protocol, Service
    from clinic.clients.models import Client
    from clinic.clients.services import search_clients
    from clinic.clock import clinic_today
    from clinic.extensions import db
    from clinic.scheduling import queries
    from clinic.scheduling.models import Appointment, AppointmentStatus
    from clinic.visits.models import Visit

    app = create_app()
    out: dict = {}
    with app.app_context():
        facial = db.session.get(Service, meta["facial_service_id"])
        today = clinic_today()
        startup_done()
        month = timed(
            lambda: queries.find_slots(facial, today, today + timedelta(days=30)),
            SAMPLES,
        )
        out["availability_month_ms"] = median(month)
        out["availability_samples"] = month
        fragments = search_fragments(meta)
        # The phone numbers of the same clients: a search that finds one.
        first, last = meta["first_client_id"], meta["last_client_id"]
        step = max(1, (last - first) // len(SEARCHES))
        phones = db.session.scalars(
            select(Client.phone).where(
                Client.id.in_([first + n * step for n in range(len(SEARCHES))])
            )
        ).all()
        # One pass first, as for the HTTP measurements: a desk searching all
        # day reads its index from memory, not from the disk just copied to.
        found = [search_clients(query).found for query in [*fragments, *phones]]
        searches = [
            t for f in fragments for t in timed(lambda f=f: search_clients(f), 3)
        ]
        unique = [t for p in phones for t in timed(lambda p=p: search_clients(p), 3)]
        out["client_search_ms"] = median(searches)
        out["client_search_samples"] = searches
        out["client_search_fragments"] = fragments
        # How many each found (101 is the cap: too common to list).
        out["client_search_found"] = found[: len(fragments)]
        out["client_search_one_ms"] = median(unique)
        out["client_search_one_samples"] = unique
        busy = date.fromisoformat(meta["busy_day"])
        start, end = queries.day_bounds(busy, busy)
        rows = db.session.execute(
            select(Appointment.status, func.count())
            .where(Appointment.starts_at >= start, Appointment.starts_at < end)
            .group_by(Appointment.status)
        ).all()
        out["busy_day_total"] = sum(n for _, n in rows)
        out["busy_day_cancelled"] = sum(
            n for status, n in rows if status is AppointmentStatus.CANCELLED
        )
        out["protocol_id"] = db.session.scalar(
            select(Protocol.id).where(Protocol.name == PROTOCOL)
        )
        # A signed visit that belongs to a series, for the aftercare sheet.
        out["visit_id"] = db.session.scalar(
            select(Visit.id)
            .join(Appointment, Appointment.id == Visit.appointment_id)
            .where(Appointment.series_id.is_not(None))
            .order_by(Visit.id.desc())
            .limit(1)
        )
        db.session.commit()
        db.engine.dispose()
    return out


def isolated_build(database_url: str, visit_id: int) -> list[float]:
    """reportlab alone: the PDF of the sheet the server printed last."""
    os.environ.update(environment(database_url))
    from sqlalchemy import select

    from clinic import create_app
    from clinic.aftercare import pdf, services
    from clinic.aftercare.models import AftercarePrint
    from clinic.extensions import db

    app = create_app()
    with app.app_context():
        record = db.session.scalar(
            select(AftercarePrint)
            .where(AftercarePrint.visit_id == visit_id)
            .order_by(AftercarePrint.id.desc())
            .limit(1)
        )
        sheet = services.sheet_from_json(record.content_json)
        clinic = services.clinic_info()
        if isinstance(sheet, tuple):  # newer records store the clinic's details
            sheet, clinic = sheet
        page_size = record.page_size
        db.session.commit()
        db.engine.dispose()
    startup_done()
    return timed(
        lambda: pdf.build_pdf(
            [sheet],
            clinic=clinic,
            page_size=page_size,
            title="Aftercare",
            subject=f"Aftercare for {sheet.client_name}",
        ),
        SAMPLES,
    )


# --- HTTP --------------------------------------------------------------------


class Browser:
    """One signed-in client: cookies, CSRF tokens, timed requests."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, fields=None):
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, elapsed

    def csrf(self, path: str = "/dashboard") -> str:
        status, data, _ = self.request("GET", path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', data)
        if status != 200 or not match:
            sys.exit(f"no CSRF token on {path} ({status})")
        return match.group(1).decode()

    def sign_in(self, email: str, secret: str) -> None:
        token = self.csrf("/login")
        status, _, _ = self.request(
            "POST", "/login", {"email": email, "password": secret, "csrf_token": token}
        )
        if status != 302:
            sys.exit(f"bench sign-in failed ({status})")

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class _Form(HTMLParser):
    """The fields of the form posting to ``action`` (inputs and selects)."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields, self._select = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("action") or "").endswith(self.action)
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def load(port: int, path: str, cookie: str) -> dict:
    """Requests per second on ``path`` with CONNECTIONS keep-alive clients."""
    url = f"http://127.0.0.1:{port}{path}"
    if wrk := shutil.which("wrk"):
        done = subprocess.run(  # noqa: S603 - fixed command line
            [
                wrk,
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{DURATION}s",
                "--timeout",
                "30s",
                "-H",
                f"Cookie: {cookie}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
        return {"rps": rps, "errors": int(errors.group(1)) if errors else 0}
    return _python_load(port, path, cookie)


def _python_load(port: int, path: str, cookie: str) -> dict:
    counts, errors, stop = [0] * CONNECTIONS, [0], time.perf_counter() + DURATION

    def worker(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            counts[n] += 1
            errors[0] += response.status >= 400

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rps": sum(counts) / (time.perf_counter() - started), "errors": errors[0]}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", PORT))
        return probe.getsockname()[1]


class Server:
    def __init__(self, database_url: str):
        self.env = environment(database_url, BENCH_MODE="1")
        self.process = None
        self.port = free_port()

    def __enter__(self):
        self.log_file = open(RESULTS / "gunicorn.log", "a")
        log_file = self.log_file
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "clinic:create_app()",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log_file,
            stderr=log_file,
        )
        deadline = time.time() + 60
        while time.time() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        sys.exit("gunicorn did not start; see bench-results/gunicorn.log")

    def __exit__(self, *_exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log_file.close()


def over_http(port: int, meta: dict, facts: dict) -> dict:
    out: dict = {}
    browser = Browser(port)
    browser.sign_in(meta["admin_email"], password())
    cookie = browser.cookie_header()
    n, cancelled = facts["busy_day_total"], facts["busy_day_cancelled"]
    calendar = f"/calendar?date={meta['busy_day']}"
    baseline = f"/bench/baseline?n={n}&cancelled={cancelled}"
    for path, key in ((calendar, "calendar"), (baseline, "baseline")):
        status, data, _ = browser.request("GET", path)
        if status != 200:
            sys.exit(f"{path} answered {status}")
        out[f"{key}_bytes"] = len(data)
    calendar_runs, baseline_runs = [], []
    for run in range(RUNS):
        baseline_runs.append(load(port, baseline, cookie))
        calendar_runs.append(load(port, calendar, cookie))
        log(
            f"run {run + 1}: calendar {calendar_runs[-1]['rps']:.1f} req/s, "
            f"baseline {baseline_runs[-1]['rps']:.1f} req/s"
        )
    if any(r["errors"] for r in calendar_runs + baseline_runs):
        sys.exit("error responses under load; see bench-results/gunicorn.log")
    out["calendar_rps"] = median([r["rps"] for r in calendar_runs])
    out["baseline_rps"] = median([r["rps"] for r in baseline_runs])
    out["calendar_vs_baseline"] = out["calendar_rps"] / out["baseline_rps"]

    plans, books, failures = [], [], 0
    first, last = meta["first_client_id"], meta["last_client_id"]
    step = max(1, (last - first) // (SAMPLES + WARM_UP + 1))
    start_day = date.fromisoformat(meta["seeded_on"]) + timedelta(days=1)
    start_day = max(start_day, date.today() + timedelta(days=1))
    for n in range(WARM_UP + SAMPLES):
        if n == WARM_UP:  # steady state: each worker has served a few already
            plans, books, failures = [], [], 0
        client_id = first + (n + 1) * step
        page = f"/clients/{client_id}/series/new"
        fields = {
            "csrf_token": browser.csrf(page),
            "protocol": str(facts["protocol_id"]),
            "esthetician": "any",
            "first_day": start_day.isoformat(),
            "weekdays": ["1", "3"],
            "preferred_time": "10:00",
        }
        status, data, elapsed = browser.request("POST", page, fields)
        if status != 200:
            failures += 1
            continue
        plans.append(elapsed)
        form = _Form(f"/clients/{client_id}/series/confirm")
        form.feed(data.decode())
        form.fields["confirm"] = "Book all sessions"
        status, _, elapsed = browser.request(
            "POST", f"/clients/{client_id}/series/confirm", form.fields
        )
        if status == 302:
            books.append(elapsed)
        else:
            failures += 1
    out["series_plan_ms"], out["series_plan_samples"] = median(plans), plans
    out["series_book_ms"], out["series_book_samples"] = median(books), books
    out["series_failures"] = failures

    prints = []
    visit = facts["visit_id"]
    token = browser.csrf("/admin")  # one token serves the whole session
    for _ in range(WARM_UP + SAMPLES):
        status, data, elapsed = browser.request(
            "POST", f"/visits/{visit}/aftercare", {"csrf_token": token}
        )
        if status != 200 or not data.startswith(b"%PDF"):
            sys.exit(f"aftercare print answered {status}")
        prints.append(elapsed)
    # The first prints of each worker load the fonts and warm the caches.
    out["aftercare_samples"] = prints[WARM_UP:]
    out["aftercare_ms"] = median(prints[WARM_UP:])
    return out


# --- report ------------------------------------------------------------------


def judge(value: float, comparison: str, target: float) -> str:
    ok = value >= target if comparison == ">=" else value <= target
    return "ok" if ok else "miss"


def show(metric: str, value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:.1f} {unit}"


def report(results: dict) -> list[dict]:
    rows = []
    sizes = sorted(results)
    for size in sizes:
        r = results[size]
        label = f"{size:,} appts"
        for metric, (comparison, target, unit) in TARGETS.items():
            rows.append(
                {
                    "metric": f"{metric} [{label}]",
                    "value": r[metric],
                    "shown": show(metric, r[metric], unit),
                    "target": f"{comparison} {target:g}"
                    + ("" if unit == "ratio" else f" {unit}"),
                    "ok": judge(r[metric], comparison, target),
                }
            )
    if len(sizes) >= 2:
        small, large = results[sizes[0]], results[sizes[-1]]
        for metric, larger_better in SCALED:
            ratio = (
                small[metric] / large[metric]
                if larger_better
                else large[metric] / small[metric]
            )
            rows.append(
                {
                    "metric": f"{metric} at {sizes[-1]:,} vs {sizes[0]:,}",
                    "value": ratio,
                    "shown": f"{ratio:.2f}x "
                    f"({small[metric]:.1f} -> {large[metric]:.1f})",
                    "target": f"<= {GROWTH}x",
                    "ok": judge(ratio, "<=", GROWTH),
                }
            )
    width = max(len(row["metric"]) for row in rows)
    shown = max(len(row["shown"]) for row in rows)
    print(f"\n{'metric':<{width}} | {'value':<{shown}} | {'target':<10} | ok/miss")
    print(f"{'-' * width}-|-{'-' * shown}-|-{'-' * 10}-|--------")
    for row in rows:
        print(
            f"{row['metric']:<{width}} | {row['shown']:<{shown}} | "
            f"{row['target']:<10} | {row['ok']}"
        )
    return rows


def machine() -> dict:
    lscpu = subprocess.run(  # noqa: S603
        [shutil.which("lscpu") or "/usr/bin/lscpu"], capture_output=True, text=True
    ).stdout
    model = re.search(r"Model name:\s+(.+)", lscpu)
    return {
        "cpus": os.cpu_count(),
        "model": model.group(1).strip() if model else "",
        "load_average": os.getloadavg(),
        "python": sys.version.split()[0],
    }


CHILD_MARK = "bench-child-result:"


def in_fresh_process(name: str, *args):
    """``name(*args)`` (``in_process`` or ``isolated_build``) in a new
    interpreter, as a server's worker runs: one app, one database. Timed in
    the runner's own process after the 10,000 set, the 1,000,000 set's month
    of availability took up to 55 ms against 33 ms on its own."""
    done = subprocess.run(  # noqa: S603 - this file, our own interpreter
        [sys.executable, __file__, "--child", name, json.dumps(args)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        cwd=ROOT,
    )
    marked = [line for line in done.stdout.splitlines() if line.startswith(CHILD_MARK)]
    return json.loads(marked[-1].removeprefix(CHILD_MARK))


def child(name: str, arguments: str) -> None:
    function = {"in_process": in_process, "isolated_build": isolated_build}[name]
    print(CHILD_MARK + json.dumps(function(*json.loads(arguments)), default=str))


def main() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    (RESULTS / "instance").mkdir(exist_ok=True)
    Store = PostgresStore if PG_URL else SQLiteStore
    results, metas = {}, {}
    started_machine = machine()
    for appointments in SIZES:
        store = Store(appointments)
        meta = ensure_dataset(store, appointments)
        store.make_work_copy()
        # The copy's pages reach the disk now, not while the first figures
        # are timed (a 1.2 GB copy written back behind a month of
        # availability made it 40 -> 75 ms).
        os.sync()
        try:
            facts = in_fresh_process("in_process", store.url("work"), meta)
            with Server(store.url("work")) as server:
                http_results = over_http(server.port, meta, facts)
            build = in_fresh_process(
                "isolated_build", store.url("work"), facts["visit_id"]
            )
        finally:
            store.drop_work()
        result = {**facts, **http_results}
        result["aftercare_build_ms"] = median(build)
        result["aftercare_build_samples"] = build
        result["aftercare_vs_build"] = (
            result["aftercare_ms"] / result["aftercare_build_ms"]
        )
        results[appointments], metas[appointments] = result, meta
        log(
            f"{appointments:,}: "
            + ", ".join(
                f"{k}={v:.2f}" for k, v in result.items() if isinstance(v, float)
            )
        )
    rows = report(results)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    document = {
        "backend": "postgresql" if PG_URL else "sqlite",
        "when": stamp,
        "machine": {"before": started_machine, "after": machine()},
        "settings": {
            "runs": RUNS,
            "duration_s": DURATION,
            "samples": SAMPLES,
            "connections": CONNECTIONS,
            "load_tool": "wrk" if shutil.which("wrk") else "python",
            "gunicorn_workers": 2,
        },
        "datasets": {str(k): v for k, v in metas.items()},
        "results": {str(k): v for k, v in results.items()},
        "table": rows,
    }
    name = f"bench-{document['backend']}-{stamp}.json"
    (RESULTS / name).write_text(json.dumps(document, indent=2, default=str))
    (RESULTS / f"latest-{document['backend']}.json").write_text(
        json.dumps(document, indent=2, default=str)
    )
    print(f"\nwritten to bench-results/{name}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:4])
    else:
        main()
