"""Message ids of the report cycle's names (one label table per enum), and
a report's title, translated where they are shown."""

from __future__ import annotations

from storage.models import CycleKind, CycleState
from storage.reports.labels import N_, Translate

STATE_NAMES: dict[CycleState, str] = {
    CycleState.DRAFT: N_("Draft"),
    CycleState.SUBMITTED: N_("Submitted"),
    CycleState.RETURNED: N_("Returned for correction"),
    CycleState.ACCEPTED: N_("Accepted"),
}
SECTION_NAMES: dict[str, str] = {
    "results": N_("Results"),
    "difficulties": N_("Difficulties, obstacles and their causes"),
    "proposals": N_("Proposals and recommendations"),
}


def report_title(t: Translate, kind: CycleKind, year: int) -> str:
    """``Báo cáo năm 2026``, ``Báo cáo 6 tháng đầu năm 2026``."""
    if kind is CycleKind.HALF_YEAR:
        return t("Six-month report {year}").format(year=year)
    return t("Annual report {year}").format(year=year)
