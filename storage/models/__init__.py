"""All models, imported here so that ``Base.metadata`` knows every table."""

from storage.models.activities import (
    Activity,
    ActivityKind,
    ActivityTopic,
    SessionLanguage,
    Topic,
)
from storage.models.audit import AuditEntry
from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.broadcasts import Broadcast, BroadcastRun, BroadcastStatus, Repeat, RunStatus
from storage.models.calendar import (
    CalendarEvent,
    EventKind,
    ReminderOptOut,
    ReminderRule,
    ReminderRun,
)
from storage.models.hotlines import Hotline
from storage.models.incidents import (
    Affected,
    ContactMode,
    EscalationLevel,
    Incident,
    IncidentAlert,
    IncidentKind,
    IncidentNote,
    IncidentOutcome,
    IncidentStatus,
    KeyCheck,
    Occurred,
    Referral,
)
from storage.models.outbox import OutboxEntry, OutboxPayload, OutboxStatus, Priority
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
from storage.models.rollups import ActivityRollup, ReporterMonth, TopicRollup
from storage.models.state import PersistedState
from storage.models.targets import Indicator, NoActivityReport, ParticipantField, Target
from storage.models.trusted_addresses import (
    AddressService,
    TrustedAddress,
    TrustedAddressArea,
    TrustedAddressStaff,
)

__all__ = [
    "Activity",
    "ActivityKind",
    "ActivityRollup",
    "ActivityTopic",
    "AddressService",
    "Affected",
    "ApprovalNotice",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastRun",
    "BroadcastStatus",
    "CalendarEvent",
    "ContactMode",
    "EscalationLevel",
    "EventKind",
    "Hotline",
    "Incident",
    "IncidentAlert",
    "IncidentKind",
    "IncidentNote",
    "IncidentOutcome",
    "IncidentStatus",
    "Indicator",
    "Invite",
    "KeyCheck",
    "NoActivityReport",
    "Occurred",
    "OutboxEntry",
    "OutboxPayload",
    "OutboxStatus",
    "ParticipantField",
    "PersistedState",
    "Priority",
    "Referral",
    "RegistrationRequest",
    "ReminderOptOut",
    "ReminderRule",
    "ReminderRun",
    "Repeat",
    "ReporterMonth",
    "RequestStatus",
    "Role",
    "RunStatus",
    "SessionLanguage",
    "Target",
    "Topic",
    "TopicRollup",
    "TrustedAddress",
    "TrustedAddressArea",
    "TrustedAddressStaff",
    "UTCDateTime",
    "Unit",
    "UnitGroup",
    "UnitGroupMember",
    "UnitLevel",
    "User",
    "UserStatus",
    "utcnow",
]
