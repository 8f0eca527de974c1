"""People management (quản lý nhân sự): what a coordinator does with the people
and villages of their area. Pending registration requests, the people under
a unit, deactivating, moving and re-roling a person, renaming and merging
villages. The bot (``/people``) and the dashboard call these functions; the
permission is decided here, by the rules of the rest of the bot: a
coordinator acts on their own unit and below, on people of a lower rank
than their own; administrators act everywhere. Every change is audited.

Users are changed through SQLAlchemy statements so that the profile cache
(``storage.profiles``) forgets them: a deactivated person is stopped at
their next update.
"""

from storage.people.common import MAX_VILLAGE_NAME, PAGE_SIZE, ROLE_LEVELS, PeopleError
from storage.people.persons import (
    PeoplePage,
    Person,
    change_role,
    deactivate,
    get_person,
    list_people,
    move_person,
    reactivate,
    set_active,
)
from storage.people.places import Merged, merge_villages, rename_village, villages
from storage.people.requests import PendingRequest, count_pending, decide_request, pending_requests

__all__ = [
    "MAX_VILLAGE_NAME",
    "PAGE_SIZE",
    "ROLE_LEVELS",
    "Merged",
    "PendingRequest",
    "PeopleError",
    "PeoplePage",
    "Person",
    "change_role",
    "count_pending",
    "deactivate",
    "decide_request",
    "get_person",
    "list_people",
    "merge_villages",
    "move_person",
    "pending_requests",
    "reactivate",
    "rename_village",
    "set_active",
    "villages",
]
