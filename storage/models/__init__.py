"""All models, imported here so that ``Base.metadata`` knows every table."""

from storage.models.audit import AuditEntry
from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.people import (
    ApprovalNotice,
    Invite,
    RegistrationRequest,
    RequestStatus,
    Role,
    User,
    UserStatus,
)
from storage.models.places import Unit, UnitGroup, UnitGroupMember, UnitLevel
from storage.models.state import PersistedState

__all__ = [
    "ApprovalNotice",
    "AuditEntry",
    "Base",
    "Invite",
    "PersistedState",
    "RegistrationRequest",
    "RequestStatus",
    "Role",
    "UTCDateTime",
    "Unit",
    "UnitGroup",
    "UnitGroupMember",
    "UnitLevel",
    "User",
    "UserStatus",
    "utcnow",
]
