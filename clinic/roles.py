"""Staff roles: who does what in the clinic (DOMAIN.md, "Who uses the system")."""

import enum


class Role(enum.Enum):
    ADMIN = "admin"
    FRONT_DESK = "front_desk"
    ESTHETICIAN = "esthetician"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.ADMIN: "Owner / admin",
    Role.FRONT_DESK: "Front desk",
    Role.ESTHETICIAN: "Esthetician",
}
