"""Incidents (vụ việc): reports of violence that reach a trusted address
quickly and safely. See docs/incidents.md for what is encrypted and who can
see what.

* ``intake``: checking, encrypting and storing a report; later notes;
* ``routing``: who receives it at each level, and the alerts;
* ``escalation``: reports nobody took in time go up a level;
* ``reach``: who the responders of a place are, by who they are now;
* ``actions``: take, refer, close, notes (first one wins on every engine);
* ``access``: who may open a report, and opening it (audited);
* ``followup``: the reporter's side: neutral status, added information,
  the code-guess limit, reopening;
* ``listing``: ``/incidents``; ``art36``: the notice to the commune
  People's Committee;
* ``crypto``: the field encryption; ``stats``: figures for the summaries.
"""

from storage.incidents.access import IncidentDetails, NoteView, may_open, open_incident
from storage.incidents.actions import (
    Done,
    Result,
    Seen,
    add_responder_note,
    close,
    look,
    refer,
    take,
)
from storage.incidents.crypto import Cipher, CipherError, cipher_from
from storage.incidents.escalation import escalate_due
from storage.incidents.intake import (
    IncidentInput,
    InvalidReport,
    Media,
    Reporter,
    Submitted,
    add_note,
    find_by_code,
    normalise_code,
    submit,
)
from storage.incidents.labels import Texts, Translate
from storage.incidents.routing import EscalationPolicy, responders, route
from storage.incidents.stats import IncidentStats, stats

__all__ = [
    "Cipher",
    "CipherError",
    "Done",
    "EscalationPolicy",
    "IncidentDetails",
    "IncidentInput",
    "IncidentStats",
    "InvalidReport",
    "Media",
    "NoteView",
    "Reporter",
    "Result",
    "Seen",
    "Submitted",
    "Texts",
    "Translate",
    "add_note",
    "add_responder_note",
    "cipher_from",
    "close",
    "escalate_due",
    "find_by_code",
    "look",
    "may_open",
    "normalise_code",
    "open_incident",
    "refer",
    "responders",
    "route",
    "stats",
    "submit",
    "take",
]
