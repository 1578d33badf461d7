"""The catalogue, working hours and blocks: operations and booking queries.

Each operation changes the session's objects and flushes; the caller commits.
Refusals are ``CatalogueError`` with a message for the user and the form field
to show it next to. Every change writes an audit row (ids and field names only).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from clinic import audit
from clinic.auth.models import User
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Block,
    BlockKind,
    WorkingHours,
)


class CatalogueError(ValueError):
    """A change the rules refuse; the message is for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# Per model: its audit entity name and the columns unique whatever their case.
_ENTITY = {Service: "service", Protocol: "protocol", Room: "room", Device: "device"}
_UNIQUE = {
    Service: ("name",),
    Protocol: ("name",),
    Room: ("name",),
    Device: ("name", "serial"),
}
_DUPLICATE = {
    "name": "A {entity} with this name already exists.",
    "serial": "A device with this serial number already exists.",
}


def duplicate_message(model: type, column: str) -> str:
    return _DUPLICATE[column].format(entity=_ENTITY[model])


def _taken(model: type, column: str, value: str, exclude_id: int | None) -> bool:
    # The catalogue is small: compare case-folded in Python, the same on both
    # databases (SQLite's lower() folds ASCII only).
    wanted = value.casefold()
    rows = db.session.execute(select(model.id, getattr(model, column))).all()
    return any(
        other.casefold() == wanted for row_id, other in rows if row_id != exclude_id
    )


def _refuse_duplicates(model: type, data: dict, exclude_id: int | None) -> None:
    for column in _UNIQUE[model]:
        if column in data and _taken(model, column, data[column], exclude_id):
            raise CatalogueError(duplicate_message(model, column), field=column)


def _flush_unique(model: type) -> None:
    """Flush; a concurrent insert of the same value loses with a clean error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # PostgreSQL names the constraint, SQLite the table and column.
        message = str(exc.orig)
        table = model.__tablename__
        column = next(
            (
                c
                for c in _UNIQUE[model]
                if f"uq_{table}_{c}" in message or f"{table}.{c}" in message
            ),
            _UNIQUE[model][0],
        )
        raise CatalogueError(duplicate_message(model, column), field=column) from exc


def _check_service(model: type, data: dict, current_id: int | None) -> None:
    """A protocol is attached to an active service (or keeps its current one)."""
    if model is not Protocol or "service_id" not in data:
        return
    if data["service_id"] == current_id:
        return
    service = db.session.get(Service, data["service_id"])
    if service is None or not service.active:
        raise CatalogueError("Choose an active service.", field="service_id")


# --- services, protocols, rooms, devices -----------------------------------


def list_items(model: type) -> list:
    """Every row of a catalogue table, active first, by name."""
    return list(
        db.session.scalars(select(model).order_by(model.active.desc(), model.name))
    )


def create_item(model: type, data: dict):
    """Add a service, protocol, room or device. CatalogueError on a duplicate."""
    _refuse_duplicates(model, data, None)
    _check_service(model, data, None)
    item = model(**data)
    db.session.add(item)
    _flush_unique(model)
    entity = _ENTITY[model]
    audit.record(f"{entity}.created", entity_type=entity, entity_id=item.id)
    return item


def update_item(item, data: dict) -> list[str]:
    """Apply changes; returns the names of the fields that changed."""
    model = type(item)
    changed = sorted(key for key, value in data.items() if getattr(item, key) != value)
    if not changed:
        return []
    _refuse_duplicates(model, {key: data[key] for key in changed}, item.id)
    _check_service(model, data, getattr(item, "service_id", None))
    for key in changed:
        setattr(item, key, data[key])
    _flush_unique(model)
    entity = _ENTITY[model]
    audit.record(
        f"{entity}.updated",
        entity_type=entity,
        entity_id=item.id,
        details="fields: " + ", ".join(changed),
    )
    return changed


def set_active(item, active: bool) -> bool:
    """Deactivate or reactivate (never delete); False if nothing changed."""
    if item.active == active:
        return False
    if active and isinstance(item, Protocol) and not item.service.active:
        raise CatalogueError(
            f"Its service “{item.service.name}” is inactive: reactivate the "
            "service first, or edit the protocol to use another one."
        )
    item.active = active
    entity = _ENTITY[type(item)]
    action = "reactivated" if active else "deactivated"
    audit.record(f"{entity}.{action}", entity_type=entity, entity_id=item.id)
    db.session.flush()
    return True


# --- working hours -----------------------------------------------------------


def time_range(start: time, end: time) -> str:
    return f"{start:%H:%M} to {end:%H:%M}"


def get_esthetician(user_id: int) -> User | None:
    """The staff member if they are an esthetician (active or not), else None."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.role is Role.ESTHETICIAN else None


def hours_of(user_id: int) -> dict[int, list[WorkingHours]]:
    """Weekday (0 = Monday) -> that day's ranges in time order, every weekday."""
    days: dict[int, list[WorkingHours]] = {weekday: [] for weekday in range(7)}
    rows = db.session.scalars(
        select(WorkingHours)
        .where(WorkingHours.user_id == user_id)
        .order_by(WorkingHours.weekday, WorkingHours.start_time)
    )
    for row in rows:
        days[row.weekday].append(row)
    return days


def add_working_hours(user: User, weekday: int, start: time, end: time):
    """Add a weekly range; CatalogueError if it overlaps another of that day."""
    # Lock the person's row: two admins adding overlapping ranges at once
    # queue here on PostgreSQL (SQLite serialises writers anyway).
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    for other in hours_of(user.id)[weekday]:
        if start < other.end_time and other.start_time < end:
            raise CatalogueError(
                f"This overlaps {time_range(other.start_time, other.end_time)} "
                "on the same day. Change that range or choose other times.",
                field="start_time",
            )
    hours = WorkingHours(
        user_id=user.id, weekday=weekday, start_time=start, end_time=end
    )
    db.session.add(hours)
    db.session.flush()
    audit.record(
        "working_hours.added",
        entity_type="user",
        entity_id=user.id,
        details=f"weekday={weekday} {start:%H:%M}-{end:%H:%M}",
    )
    return hours


def remove_working_hours(hours: WorkingHours) -> None:
    audit.record(
        "working_hours.removed",
        entity_type="user",
        entity_id=hours.user_id,
        details=f"weekday={hours.weekday} "
        f"{hours.start_time:%H:%M}-{hours.end_time:%H:%M}",
    )
    db.session.delete(hours)
    db.session.flush()


# --- blocks ------------------------------------------------------------------


class NonexistentLocalTime(ValueError):
    """A wall time skipped by a daylight-saving change (clocks go forward)."""


def local_to_utc(local: datetime, tz: ZoneInfo, *, later: bool = False) -> datetime:
    """A naive clinic wall time as aware UTC.

    A time that occurs twice (clocks go back) is read as its first occurrence,
    or its second when ``later``; a time that never occurs is refused.
    """
    aware = local.replace(tzinfo=tz, fold=1 if later else 0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(fold=0):
        raise NonexistentLocalTime(local)
    return utc


_BLOCK_COLUMN = {
    BlockKind.TIME_OFF: "user_id",
    BlockKind.ROOM: "room_id",
    BlockKind.DEVICE: "device_id",
}
_BLOCK_RESOURCE = {
    BlockKind.TIME_OFF: User,
    BlockKind.ROOM: Room,
    BlockKind.DEVICE: Device,
}
_APPOINTMENT_COLUMN = {
    BlockKind.TIME_OFF: Appointment.esthetician_id,
    BlockKind.ROOM: Appointment.room_id,
    BlockKind.DEVICE: Appointment.device_id,
}
# Appointments that still hold their resources ahead of them.
_UPCOMING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def upcoming_blocks(now: datetime) -> list[Block]:
    """Active blocks that have not ended, soonest first."""
    return list(
        db.session.scalars(
            select(Block)
            .where(Block.cancelled_at.is_(None), Block.ends_at > now)
            .options(
                selectinload(Block.user),
                selectinload(Block.room),
                selectinload(Block.device),
            )
            .order_by(Block.starts_at, Block.id)
        )
    )


def create_block(
    kind: BlockKind,
    resource_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    reason: str,
    by_user_id: int | None,
) -> tuple[Block, list[Appointment]]:
    """Make a resource unavailable; returns it with the appointments it hits.

    Those appointments are not moved: the caller warns whoever made the block.
    """
    resource = db.session.get(_BLOCK_RESOURCE[kind], resource_id)
    if (
        resource is None
        or not resource.active
        or (kind is BlockKind.TIME_OFF and resource.role is not Role.ESTHETICIAN)
    ):
        raise CatalogueError("Choose an active resource.", field="resource")
    block = Block(
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by_id=by_user_id,
        **{_BLOCK_COLUMN[kind]: resource_id},
    )
    db.session.add(block)
    db.session.flush()
    hit = overlapping_appointments(block)
    audit.record(
        "block.created",
        entity_type="block",
        entity_id=block.id,
        details=f"kind={kind.value} {_BLOCK_COLUMN[kind]}={resource_id} "
        f"overlapping appointments: {len(hit)}",
    )
    return block, hit


def overlapping_appointments(block: Block) -> list[Appointment]:
    """Booked or checked-in appointments whose hold intersects the block."""
    column = _APPOINTMENT_COLUMN[block.kind]
    resource_id = getattr(block, _BLOCK_COLUMN[block.kind])
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                column == resource_id,
                Appointment.status.in_(_UPCOMING),
                Appointment.starts_at < block.ends_at,
                Appointment.blocked_until > block.starts_at,
            )
            .options(
                selectinload(Appointment.client),
                selectinload(Appointment.esthetician),
            )
            .order_by(Appointment.starts_at)
        )
    )


def cancel_block(block: Block, now: datetime) -> None:
    """Lift a block; CatalogueError if it was cancelled or is already over."""
    if block.cancelled_at is not None:
        raise CatalogueError("This block was already cancelled.")
    if block.ends_at <= now:
        raise CatalogueError("This block is already over.")
    block.cancelled_at = now
    audit.record("block.cancelled", entity_type="block", entity_id=block.id)
    db.session.flush()


# --- queries for the booking pages ------------------------------------------


def active_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service).where(Service.active.is_(True)).order_by(Service.name)
        )
    )


def active_protocols() -> list[Protocol]:
    """Active protocols whose service is active too, by name."""
    return list(
        db.session.scalars(
            select(Protocol)
            .join(Protocol.service)
            .where(Protocol.active.is_(True), Service.active.is_(True))
            .order_by(Protocol.name)
        )
    )


def active_rooms() -> list[Room]:
    return list(
        db.session.scalars(
            select(Room).where(Room.active.is_(True)).order_by(Room.name)
        )
    )


def active_devices() -> list[Device]:
    return list(
        db.session.scalars(
            select(Device).where(Device.active.is_(True)).order_by(Device.name)
        )
    )


def active_estheticians() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.ESTHETICIAN, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def weekly_hours(
    user_ids: Iterable[int],
) -> dict[int, dict[int, list[tuple[time, time]]]]:
    """User id -> weekday (0 = Monday) -> local ``(start, end)`` ranges in order.

    Every requested id is a key; days without hours are absent. One query.
    """
    ids = list(dict.fromkeys(user_ids))
    result: dict[int, dict[int, list[tuple[time, time]]]] = {uid: {} for uid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(
            WorkingHours.user_id,
            WorkingHours.weekday,
            WorkingHours.start_time,
            WorkingHours.end_time,
        )
        .where(WorkingHours.user_id.in_(ids))
        .order_by(WorkingHours.user_id, WorkingHours.weekday, WorkingHours.start_time)
    )
    for user_id, weekday, start, end in rows:
        result[user_id].setdefault(weekday, []).append((start, end))
    return result


def blocks_between(start_utc: datetime, end_utc: datetime) -> list[Block]:
    """Active blocks that intersect ``[start_utc, end_utc)``. One query."""
    return list(
        db.session.scalars(
            select(Block)
            .where(
                Block.cancelled_at.is_(None),
                Block.starts_at < end_utc,
                Block.ends_at > start_utc,
            )
            .order_by(Block.starts_at, Block.id)
        )
    )
