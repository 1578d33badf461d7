"""Build the bench data set (see ``clinic.bench``) with bulk inserts."""

from __future__ import annotations

import random
import time as timer
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import select, text

from clinic.auth.models import User
from clinic.auth.passwords import hash_password
from clinic.bench.data import GIVEN, Writer, family_name
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clock import clinic_today, clinic_tz, utcnow
from clinic.extensions import db
from clinic.intake.models import ConsentKind
from clinic.intake.services import current_consents, current_rule_set
from clinic.roles import Role
from clinic.scheduling.models import WorkingHours
from clinic.text import fold
from clinic.zones import ZONE_CODES

DOMAIN = "bench.clinic"
ADMIN_EMAIL = f"owner@{DOMAIN}"
EXPRESS = "Microcurrent express (bench)"
EXPRESS_COURSE = "Express course, 10 sessions (bench)"
FACIAL = "Microcurrent facial"
ESTHETICIANS, ROOMS = 20, 10
SHIFTS = ((time(7), 28), (time(14), 28))  # local start, quarter-hours
QUARTER = timedelta(minutes=15)
FUTURE_DAYS = 14
FULL_DAYS = 3  # today and the next two days are booked at BUSY_FILL
HISTORY_FILL = 0.90  # five years of history at a million appointments
BUSY_FILL = 0.98
SERIES_START = 0.045  # chance that a free history cell starts a series
CANCELLED, NO_SHOW = 0.06, 0.02  # extra appointments per active one
VISIT_SHARE = 0.10
CHUNK = 20_000  # appointments per transaction


def _next_id(table: str) -> int:
    query = f'SELECT max(id) FROM "{table}"'  # noqa: S608 - our own table names
    return (db.session.scalar(text(query)) or 0) + 1


def _get_or_add(model, name: str, **values):
    found = db.session.scalar(select(model).where(model.name == name))
    if found is None:
        found = model(name=name, **values)
        db.session.add(found)
        db.session.flush()
    return found


def _catalogue(password_hash: str) -> SimpleNamespace:
    """Services, protocol, rooms, devices, staff and hours (ORM: a few rows)."""
    facial = db.session.scalar(select(Service).where(Service.name == FACIAL))
    if facial is None:
        facial = _get_or_add(Service, FACIAL, duration_minutes=60, buffer_minutes=15)
    express = _get_or_add(Service, EXPRESS, duration_minutes=15, buffer_minutes=0)
    course = _get_or_add(
        Protocol,
        EXPRESS_COURSE,
        service_id=express.id,
        sessions=10,
        min_gap_days=2,
        preferred_gap_days=3,
        max_gap_days=5,
    )
    rooms = [_get_or_add(Room, f"Bench room {n:02d}") for n in range(1, ROOMS + 1)]
    devices = [
        _get_or_add(
            Device, f"Bench device {n:02d}", serial=f"BENCH-{n:04d}", max_current_ua=600
        )
        for n in range(1, ROOMS + 1)
    ]
    people = []
    accounts = [(ADMIN_EMAIL, "Bench Owner", Role.ADMIN)] + [
        (f"esthetician{n:02d}@{DOMAIN}", f"Esthetician {n:02d}", Role.ESTHETICIAN)
        for n in range(1, ESTHETICIANS + 1)
    ]
    for email, name, role in accounts:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role, password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            if role is Role.ESTHETICIAN:
                n = len(people)
                for weekday in range(7):
                    start, quarters = SHIFTS[_shift(n, weekday)]
                    end = (
                        datetime.combine(date.min, start) + quarters * QUARTER
                    ).time()
                    db.session.add(
                        WorkingHours(
                            user_id=user.id,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                        )
                    )
        if role is Role.ESTHETICIAN:
            people.append(user)
    db.session.commit()

    def plain(row, *names):
        return SimpleNamespace(**{name: getattr(row, name) for name in names})

    rule_set = current_rule_set()
    consents = current_consents()
    found = SimpleNamespace(
        facial=plain(facial, "id", "duration_minutes", "buffer_minutes"),
        express=plain(express, "id", "duration_minutes", "buffer_minutes"),
        course=plain(
            course,
            "id",
            "service_id",
            "sessions",
            "min_gap_days",
            "preferred_gap_days",
            "max_gap_days",
        ),
        rooms=[r.id for r in rooms],
        devices=[d.id for d in devices],
        estheticians=[p.id for p in people],
        admin_id=db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)),
        rule_set_id=rule_set.id,
        rules=[(rule.code, rule.question) for rule in rule_set.active_rules()],
        treatment_consent=consents[ConsentKind.TREATMENT].id,
        data_consent=consents[ConsentKind.DATA].id,
        next_id={
            table: _next_id(table)
            for table in ("client", "intake", "series", "appointment", "visit")
        },
    )
    # Nothing may stay open in the session: each chunk is its own transaction.
    db.session.commit()
    return found


def _shift(esthetician_index: int, weekday: int) -> int:
    """0 (morning) or 1 (afternoon): the two groups swap every other weekday."""
    return (esthetician_index // ROOMS + weekday) % 2


def _future_fill(k: int) -> float:
    """How full day ``k`` (0 = today) is booked."""
    if k < FULL_DAYS:
        return BUSY_FILL
    share = (k - FULL_DAYS + 1) / (FUTURE_DAYS - FULL_DAYS)
    return max(0.10, BUSY_FILL - (BUSY_FILL - 0.10) * share)


def _layout(rng: random.Random, quarters: int, fill: float, facials: bool):
    """(position, is a facial) of the bookings of one shift."""
    pos = 0
    while pos < quarters:
        if rng.random() >= fill:
            pos += 1
            continue
        long = facials and pos + 5 <= quarters and rng.random() < 0.3
        yield pos, long
        pos += 5 if long else 1


def _expected_appointments(days: int, future: bool) -> float:
    """Appointments (with the extra cancelled ones) the grid makes in ``days``."""
    rng, cells = random.Random(0), 0  # noqa: S311 - test data, not secrets
    for k in range(days):
        fill = _future_fill(k) if future else HISTORY_FILL
        for _ in range(ESTHETICIANS):
            long = future and k >= FULL_DAYS
            cells += sum(1 for _ in _layout(rng, SHIFTS[0][1], fill, long))
    return cells * (1 + CANCELLED + (0 if future else NO_SHOW))


def _seed_clients(writer: Writer, rng: random.Random, count: int, cat, today: date):
    """Clients, each with one clear intake (answers "no" to every rule)."""
    first_client, first_intake = cat.next_id["client"], cat.next_id["intake"]
    tz = clinic_tz()
    ids = []
    for n in range(count):
        cid, iid = first_client + n, first_intake + n
        given, family = rng.choice(GIVEN), family_name(rng)
        phone = f"07{rng.randrange(10**9):09d}"
        email = f"client{cid}@example.com"
        name_key = fold(f"{given} {family}")
        created = datetime.combine(
            today - timedelta(days=rng.randrange(2000)), time(12), tzinfo=UTC
        )
        writer.add(
            "client",
            (
                cid,
                given,
                family,
                writer.day(date(1950 + rng.randrange(55), rng.randint(1, 12), 15)),
                phone,
                email,
                "",
                "",
                "",
                "",
                name_key,
                phone,
                f"{name_key} {email} {phone}",
                writer.ts(created),
                writer.ts(created),
                "",
            ),
        )
        signed = utcnow() - timedelta(days=rng.randrange(1, 240), minutes=n % 600)
        writer.add(
            "intake",
            (
                iid,
                cid,
                cat.rule_set_id,
                writer.ts(signed),
                writer.day(signed.astimezone(tz).date()),
                "staff",
                cat.treatment_consent,
                cat.data_consent,
                f"{given} {family}",
                writer.flag(True),
                "clear",
                "",
                writer.flag(False),
                writer.flag(False),
                "[]",
            ),
        )
        for position, (code, question) in enumerate(cat.rules):
            writer.add(
                "intake_answer",
                (iid, position, code, question, writer.flag(False), "", ""),
            )
        ids.append((cid, iid))
        if len(writer.rows["client"]) >= CHUNK // 2:
            writer.flush()
    writer.flush()
    return ids


class _Grid:
    """Lays appointments day by day on the esthetician/room/device grid."""

    def __init__(self, writer, rng, cat, clients, total, now, today_index):
        self.w, self.rng, self.cat, self.clients = writer, rng, cat, clients
        self.total, self.now, self.today_index = total, now, today_index
        self.tz = clinic_tz()
        self.next_appointment = cat.next_id["appointment"]
        self.next_series = cat.next_id["series"]
        self.next_visit = cat.next_id["visit"]
        self.made = 0
        self.pending: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        self.last_day = 0
        self.today: set[int] = set()  # clients booked on the day being laid

    def run(self, first_day: date, days: int) -> None:
        self.last_day = days - 1
        for index in range(days):
            day = first_day + timedelta(days=index)
            future = index - self.today_index
            fill = HISTORY_FILL if future < 0 else _future_fill(future)
            self._clients_of_the_day(index)
            for e in range(ESTHETICIANS):
                if self.made < self.total:
                    self._shift(day, index, e, fill, history=future < 0)
            if len(self.w.rows["appointment"]) >= CHUNK:
                self.w.flush()
        # The history's length was estimated on the low side: cancelled
        # bookings spread over it (they hold nothing) make up the count.
        while self.made < self.total:
            index = self.rng.randint(0, max(self.today_index - 1, 0))
            e = self.rng.randrange(ESTHETICIANS)
            day = first_day + timedelta(days=index)
            start, quarters = SHIFTS[_shift(e, day.weekday())]
            at = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            at += self.rng.randrange(quarters) * QUARTER
            client = self.rng.choice(self.clients)
            self._appointment(e, at, self.cat.express, client, None, None, "cancelled")
            if len(self.w.rows["appointment"]) >= CHUNK:
                self.w.flush()
        self.w.flush()

    def _clients_of_the_day(self, index: int) -> None:
        """A client comes at most once a day (the database refuses a client
        in two places at once): the day's series sessions claim theirs first,
        and a second session of one client that day is dropped."""
        self.today = set()
        for e in range(ESTHETICIANS):
            sessions = self.pending.get((index, e), [])
            kept = [s for s in sessions if s[3][0] not in self.today]
            self.today.update(s[3][0] for s in kept)
            if len(kept) != len(sessions):
                self.pending[(index, e)] = kept

    def _new_client(self):
        """A client not yet booked today, or None when every one is (a small
        data set: the cell stays empty, and cancellations make up the count)."""
        if len(self.today) >= len(self.clients):
            return None
        client = self.rng.choice(self.clients)
        while client[0] in self.today:  # a busy day holds ~600 of 100,000
            client = self.rng.choice(self.clients)
        self.today.add(client[0])
        return client

    def _shift(self, day: date, index: int, e: int, fill: float, history: bool):
        start, quarters = SHIFTS[_shift(e, day.weekday())]
        base = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
        facials = index - self.today_index >= FULL_DAYS
        cells = [
            [pos, self.cat.facial if long else self.cat.express, None]
            for pos, long in _layout(self.rng, quarters, fill, facials)
        ]
        # Sessions of series started earlier come first, nearest free cell.
        for wanted, series_id, number, client in self.pending.pop((index, e), ()):
            free = [c for c in cells if c[2] is None and c[1] is self.cat.express]
            if free:
                cell = min(free, key=lambda c: abs(c[0] - wanted))
                cell[2] = (client, series_id, number)
        for cell in cells:
            if self.made >= self.total:
                return
            if cell[2] is None:
                client = self._new_client()
                if client is None:
                    continue
                starts_series = history and cell[1] is self.cat.express
                if starts_series and self.rng.random() < SERIES_START:
                    cell[2] = self._start_series(client, index, e, cell[0])
                cell[2] = cell[2] or (client, None, None)
            at = base + cell[0] * QUARTER
            self._appointment(e, at, cell[1], *cell[2])
            roll = self.rng.random()
            if self.made < self.total and roll < CANCELLED + (
                NO_SHOW if history else 0
            ):
                other = self.rng.choice(self.clients)
                status = "cancelled" if roll < CANCELLED else "no_show"
                self._appointment(e, at, cell[1], other, None, None, status=status)

    def _start_series(self, client, index: int, e: int, pos: int):
        course = self.cat.course
        series_id = self.next_series
        self.next_series += 1
        day_index, planned = index, 1
        for number in range(2, course.sessions + 1):
            day_index += self.rng.randint(course.min_gap_days, course.max_gap_days)
            if day_index > self.last_day:
                break
            self.pending[(day_index, e)].append((pos, series_id, number, client))
            planned += 1
        done = planned == course.sessions and day_index < self.today_index
        w = self.w
        w.add(
            "series",
            (
                series_id,
                client[0],
                course.id,
                course.service_id,
                course.sessions,
                course.min_gap_days,
                course.preferred_gap_days,
                course.max_gap_days,
                "completed" if done else "active",
                self.cat.admin_id,
                w.ts(self.now - timedelta(days=self.today_index - index + 1)),
            ),
        )
        return (client, series_id, 1)

    def _appointment(self, e, at, service, client, series_id, number, status=None):
        w, rng = self.w, self.rng
        cid, intake_id = client
        aid = self.next_appointment
        self.next_appointment += 1
        self.made += 1
        end = at + timedelta(minutes=service.duration_minutes)
        held = end + timedelta(minutes=service.buffer_minutes)
        past = at < self.now
        status = status or ("completed" if past else "booked")
        created = at - timedelta(days=rng.randint(1, 40), minutes=rng.randrange(600))
        cancelled = status == "cancelled"
        cancelled_at = min(at - timedelta(hours=rng.randint(2, 96)), self.now)
        esthetician = self.cat.estheticians[e]
        room, device = self.cat.rooms[e % ROOMS], self.cat.devices[e % ROOMS]
        w.add(
            "appointment",
            (
                aid,
                cid,
                service.id,
                esthetician,
                room,
                device,
                w.ts(at),
                w.ts(end),
                w.ts(held),
                series_id,
                number,
                status,
                "Client cancelled" if cancelled else "",
                w.flag(cancelled and at - cancelled_at < timedelta(hours=24)),
                self.cat.admin_id,
                w.ts(min(created, self.now)),
                w.ts(at - timedelta(minutes=5)) if status == "completed" else None,
                w.ts(end) if status == "completed" else None,
                w.ts(cancelled_at) if cancelled else None,
            ),
        )
        holds = status in ("booked", "completed")
        for kind, resource in (
            ("esthetician", esthetician),
            ("room", room),
            ("device", device),
        ):
            w.add(
                "allocation",
                (aid, kind, resource, w.ts(at), w.ts(held), w.flag(holds)),
            )
        if status == "completed" and rng.random() < VISIT_SHARE:
            self._visit(aid, cid, intake_id, esthetician, device, at, end)

    def _visit(self, aid, cid, intake_id, esthetician, device, at, end):
        w, rng = self.w, self.rng
        vid = self.next_visit
        self.next_visit += 1
        w.add(
            "visit",
            (
                vid,
                aid,
                cid,
                esthetician,
                w.ts(at),
                esthetician,
                "no_change",
                w.ts(at),
                intake_id,
                "",
                device,
                "Hyaluronic gel",
                "Normal, slightly dehydrated",
                "",
                "Hydrating serum, SPF 30",
                "Felt lifted",
                "",
                "",
                "Drink plenty of water today.",
                "signed",
                w.ts(end),
                esthetician,
            ),
        )
        zones = rng.sample(ZONE_CODES, rng.randint(6, len(ZONE_CODES)))
        for zone in zones:
            w.add(
                "zone_note",
                (
                    vid,
                    zone,
                    float(rng.choice((100, 150, 200, 250, 300, 400))),
                    float(rng.choice((0.5, 10, 30, 300))),
                    rng.choice(("square", "sine", "ramped")),
                    rng.choice(("positive", "negative", "alternating")),
                    rng.choice(("probes", "gloves")),
                    rng.choice((30, 60, 90)),
                    None,
                    rng.choice(("none", "tingling")),
                    "",
                    w.flag(False),
                    "",
                ),
            )


def _aftercare_template(cat) -> None:
    """The express service gets a copy of the facial's aftercare template."""
    from clinic.aftercare.models import AftercareItem, AftercareTemplate

    if db.session.scalar(
        select(AftercareTemplate.id).where(
            AftercareTemplate.service_id == cat.express.id
        )
    ):
        db.session.commit()
        return
    source = db.session.scalar(
        select(AftercareTemplate)
        .where(AftercareTemplate.service_id == cat.facial.id)
        .order_by(AftercareTemplate.version.desc())
    )
    template = AftercareTemplate(
        service_id=cat.express.id,
        version=1,
        title="After your express microcurrent session",
        general_notes=source.general_notes if source else "",
        contact_if=source.contact_if if source else "",
        created_by_id=cat.admin_id,
    )
    template.items = [
        AftercareItem(position=i.position, text=i.text, duration_hours=i.duration_hours)
        for i in (source.items if source else [])
    ]
    db.session.add(template)
    db.session.commit()


def _fix_sequences() -> None:
    """Explicit ids were inserted: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in ("client", "intake", "series", "appointment", "visit"):
            highest = f"SELECT coalesce(max(id), 1) FROM {table}"  # noqa: S608
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence(:t, 'id'), ({highest}))"),
                {"t": table},
            )


def seed(clients: int, appointments: int, password: str, rng_seed: int = 8) -> dict:
    """Build the data set; returns what the bench runner needs to know."""
    rng = random.Random(rng_seed)  # noqa: S311 - test data, not secrets
    started = timer.perf_counter()
    writer = Writer(db.engine)
    cat = _catalogue(hash_password(password))
    _aftercare_template(cat)
    today = clinic_today()
    client_ids = _seed_clients(writer, rng, clients, cat, today)
    clients_done = timer.perf_counter()

    future = _expected_appointments(FUTURE_DAYS, future=True)
    per_day = _expected_appointments(20, future=False) / 20
    history = max(0, int((appointments - future) / per_day * 0.998))
    grid = _Grid(writer, rng, cat, client_ids, appointments, utcnow(), history)
    grid.run(today - timedelta(days=history), history + FUTURE_DAYS)
    _fix_sequences()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum would do to a live database: statistics for the
        # planner, and the visibility map that lets index-only scans skip
        # the table.
        with db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    done = timer.perf_counter()
    return {
        "clients": clients,
        "appointments": grid.made,
        "rows": dict(writer.count),
        "history_days": history,
        "first_day": (today - timedelta(days=history)).isoformat(),
        "seeded_on": today.isoformat(),
        "busy_day": (today + timedelta(days=1)).isoformat(),
        "facial_service_id": cat.facial.id,
        "express_service_id": cat.express.id,
        "first_client_id": client_ids[0][0] if client_ids else None,
        "last_client_id": client_ids[-1][0] if client_ids else None,
        "admin_email": ADMIN_EMAIL,
        "seconds": {
            "clients": round(clients_done - started, 1),
            "appointments": round(done - clients_done, 1),
            "total": round(done - started, 1),
        },
    }
