"""Registers (sổ theo dõi mô hình): teams, clubs, livelihood groups and
trusted addresses as records, with dated events and members."""

from storage.registers.csvfile import (
    COLUMNS,
    Imported,
    RegisterImportError,
    export_csv,
    export_for,
    import_csv,
)
from storage.registers.links import link_address, linked_entry, register_place
from storage.registers.records import (
    COUNTED_EVENTS,
    EntryInput,
    EntryView,
    EventInput,
    Member,
    RegisterError,
    RegisterRefused,
    Saved,
    add_event,
    area_for,
    counted,
    entries_for,
    entries_under,
    save,
    status_of,
)

__all__ = [
    "COLUMNS",
    "COUNTED_EVENTS",
    "EntryInput",
    "EntryView",
    "EventInput",
    "Imported",
    "Member",
    "RegisterError",
    "RegisterImportError",
    "RegisterRefused",
    "Saved",
    "add_event",
    "area_for",
    "counted",
    "entries_for",
    "entries_under",
    "export_csv",
    "export_for",
    "import_csv",
    "link_address",
    "linked_entry",
    "register_place",
    "save",
    "status_of",
]
