"""What the clinic sells and what it needs: services, protocols, rooms, devices.

Catalogue rows are never deleted: they are deactivated, so past appointments
keep pointing at what was booked.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic.extensions import db


class Service(db.Model):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int]
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    needs_device: Mapped[bool] = mapped_column(default=True)
    needs_screening: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.name!r}>"


class Protocol(db.Model):
    """A series: how many sessions and how far apart (DOMAIN.md)."""

    __tablename__ = "protocol"
    __table_args__ = (
        CheckConstraint("sessions >= 1 AND sessions <= 100", name="sessions_range"),
        CheckConstraint(
            "min_gap_days >= 0 AND min_gap_days <= preferred_gap_days "
            "AND preferred_gap_days <= max_gap_days",
            name="gaps_ordered",
        ),
        CheckConstraint(
            "maintenance_interval_days IS NULL OR maintenance_interval_days > 0",
            name="maintenance_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    sessions: Mapped[int]
    min_gap_days: Mapped[int]
    preferred_gap_days: Mapped[int]
    max_gap_days: Mapped[int]
    maintenance_interval_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    service: Mapped[Service] = relationship(lazy="joined")


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Device(db.Model):
    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint(
            "max_current_ua IS NULL OR (max_current_ua > 0 AND max_current_ua <= 1000)",
            name="max_current_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    model: Mapped[str] = mapped_column(String(120), default="")
    serial: Mapped[str] = mapped_column(String(80), unique=True)
    # The device's configured maximum: visit notes above it get a warning.
    max_current_ua: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
