"""Working hours, blocks, series, appointments and their allocations.

Every appointment that holds resources owns one ``Allocation`` row per
resource it uses (esthetician, room, device), covering its time plus the
service's buffer. The database refuses two active allocations of one resource
that overlap: an exclusion constraint on PostgreSQL (created by the
migration), and serialised write transactions (``BEGIN IMMEDIATE``) around
the check on SQLite. Cancelling or a no-show deactivates the allocations.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.auth.models import User
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clients.models import Client
from clinic.clock import utcnow
from clinic.db import UTCDateTime, enum_column
from clinic.extensions import db

if TYPE_CHECKING:
    from clinic.visits.models import Visit


class WorkingHours(db.Model):
    """One weekly working range of an esthetician (several a day allowed)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        Index("ix_working_hours_user", "user_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class BlockKind(enum.Enum):
    TIME_OFF = "time_off"  # an esthetician away
    ROOM = "room"  # cleaning, works
    DEVICE = "device"  # maintenance, repair


class Block(db.Model):
    """A period in which an esthetician, a room or a device is unavailable."""

    __tablename__ = "resource_block"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        CheckConstraint(
            "(kind = 'time_off' AND user_id IS NOT NULL AND room_id IS NULL "
            "AND device_id IS NULL) OR (kind = 'room' AND room_id IS NOT NULL "
            "AND user_id IS NULL AND device_id IS NULL) OR (kind = 'device' AND "
            "device_id IS NOT NULL AND user_id IS NULL AND room_id IS NULL)",
            name="one_resource",
        ),
        Index("ix_resource_block_period", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BlockKind] = mapped_column(enum_column(BlockKind, "block_kind"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    room: Mapped[Room | None] = relationship()
    device: Mapped[Device | None] = relationship()

    @property
    def resource_label(self) -> str:
        if self.kind is BlockKind.TIME_OFF:
            return self.user.name
        return self.room.name if self.kind is BlockKind.ROOM else self.device.name


class SeriesStatus(enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Series(db.Model):
    """A course of sessions; its gaps are copied from the protocol when booked."""

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint("sessions_total >= 1", name="sessions_positive"),
        CheckConstraint(
            "min_gap_days <= preferred_gap_days AND preferred_gap_days <= max_gap_days",
            name="gaps_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocol.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    sessions_total: Mapped[int]
    min_gap_days: Mapped[int]
    preferred_gap_days: Mapped[int]
    max_gap_days: Mapped[int]
    status: Mapped[SeriesStatus] = mapped_column(
        enum_column(SeriesStatus, "series_status"), default=SeriesStatus.ACTIVE
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    protocol: Mapped[Protocol] = relationship()
    service: Mapped[Service] = relationship()
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="series", order_by="Appointment.starts_at"
    )


class AppointmentStatus(enum.Enum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TransitionError(ValueError):
    """A status change that makes no sense (cancel a completed visit...)."""


# Statuses whose appointment holds its resources.
HOLDING = frozenset(
    {
        AppointmentStatus.BOOKED,
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.COMPLETED,
    }
)


class Appointment(db.Model):
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        CheckConstraint("ends_at <= blocked_until", name="buffer_after_end"),
        CheckConstraint(
            "(series_id IS NULL AND session_number IS NULL) OR "
            "(series_id IS NOT NULL AND session_number >= 1)",
            name="series_session_number",
        ),
        Index("ix_appointment_starts_at", "starts_at"),
        Index("ix_appointment_esthetician_start", "esthetician_id", "starts_at"),
        Index("ix_appointment_client_start", "client_id", "starts_at"),
        Index("ix_appointment_series", "series_id", "session_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    esthetician_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of the resources' hold: ends_at plus the service's buffer.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    session_number: Mapped[int | None]
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus, "appointment_status"),
        default=AppointmentStatus.BOOKED,
    )
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    late_cancel: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set only by the migration that made clients a booked resource, on the
    # later of two appointments of one client that already overlapped: the
    # database's client constraint skips it until it is moved.
    legacy_client_overlap: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )

    client: Mapped[Client] = relationship()
    service: Mapped[Service] = relationship()
    esthetician: Mapped[User] = relationship(foreign_keys=[esthetician_id])
    room: Mapped[Room] = relationship()
    device: Mapped[Device | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="appointments")
    allocations: Mapped[list[Allocation]] = relationship(back_populates="appointment")
    events: Mapped[list[AppointmentEvent]] = relationship(
        back_populates="appointment", order_by="AppointmentEvent.id"
    )
    # The visit that took place, once started (clinic.visits, a domain above
    # this one, named here only as a string).
    visit: Mapped[Visit | None] = relationship(back_populates="appointment")

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status.value}>"

    @property
    def holds_resources(self) -> bool:
        return self.status in HOLDING

    # State changes: each refuses a transition that makes no sense with a
    # message for the user (TransitionError), and never touches the session.

    def _require(self, *allowed: AppointmentStatus, action: str) -> None:
        if self.status not in allowed:
            raise TransitionError(
                f"A {self.status.label.lower()} appointment cannot be {action}."
            )

    def cancel(self, reason: str, now: datetime, late_within) -> None:
        """Cancel a booked appointment, or a checked-in one the visit of which
        cannot go ahead (the caller checks no visit has started): that one
        was not called off late by the client."""
        self._require(
            AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, action="cancelled"
        )
        late = self.status is AppointmentStatus.BOOKED and (
            self.starts_at - now < late_within
        )
        self.status = AppointmentStatus.CANCELLED
        self.cancel_reason = reason
        self.cancelled_at = now
        self.checked_in_at = None
        self.late_cancel = late

    def check_in(self, now: datetime) -> None:
        self._require(AppointmentStatus.BOOKED, action="checked in")
        self.status = AppointmentStatus.CHECKED_IN
        self.checked_in_at = now

    def undo_check_in(self) -> None:
        self._require(AppointmentStatus.CHECKED_IN, action="set back to booked")
        self.status = AppointmentStatus.BOOKED
        self.checked_in_at = None

    def complete(self, now: datetime) -> None:
        self._require(AppointmentStatus.CHECKED_IN, action="completed")
        self.status = AppointmentStatus.COMPLETED
        self.completed_at = now

    def mark_no_show(self, now: datetime) -> None:
        self._require(AppointmentStatus.BOOKED, action="marked as a no-show")
        if now < self.starts_at:
            raise TransitionError(
                "A no-show can only be recorded after the start time."
            )
        self.status = AppointmentStatus.NO_SHOW

    def can_move(self) -> bool:
        return self.status is AppointmentStatus.BOOKED

    @property
    def session_label(self) -> str:
        if self.series_id is None:
            return ""
        return f"Session {self.session_number} of {self.series.sessions_total}"


class ResourceKind(enum.Enum):
    ESTHETICIAN = "esthetician"
    ROOM = "room"
    DEVICE = "device"


class Allocation(db.Model):
    """One resource held by one appointment for [starts_at, ends_at)."""

    __tablename__ = "allocation"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        # Overlap checks ask for "ends after the start and starts before the
        # end" of a slot that lies ahead: led by ends_at, the index reads only
        # the allocations still to come, not years of history.
        Index(
            "ix_allocation_resource_ends",
            "resource_kind",
            "resource_id",
            "ends_at",
            "starts_at",
        ),
        # Availability reads every resource's allocations in a window; the
        # index carries all it needs, so the table itself is not read.
        Index(
            "ix_allocation_ends_at",
            "ends_at",
            "starts_at",
            "resource_kind",
            "resource_id",
            "active",
        ),
        Index("ix_allocation_appointment", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    resource_kind: Mapped[ResourceKind] = mapped_column(
        enum_column(ResourceKind, "resource_kind")
    )
    resource_id: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)

    appointment: Mapped[Appointment] = relationship(back_populates="allocations")


# Names of the PostgreSQL exclusion constraints: a violation is a lost race.
# A client is booked like a resource, but for the treatment only (no buffer):
# the appointments themselves carry that constraint.
ALLOCATION_EXCLUSION = "ex_allocation_no_overlap"
CLIENT_EXCLUSION = "ex_appointment_client_no_overlap"
EXCLUSIONS = (ALLOCATION_EXCLUSION, CLIENT_EXCLUSION)


class AppointmentEvent(db.Model):
    """The history of an appointment: booked, moved, cancelled, checked in..."""

    __tablename__ = "appointment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="")

    appointment: Mapped[Appointment] = relationship(back_populates="events")
    by_user: Mapped[User | None] = relationship()


class CalendarFeed(db.Model):
    """The secret address of an esthetician's iCalendar feed (rotatable)."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
