"""The dashboard's Reports page: the province sees each commune's report
(submitted, late, missing) and opens one with its narrative, frozen figures
and corrections; another commune's coordinator cannot open it."""

from __future__ import annotations

from bot.i18n import translator
from storage import cycle
from storage.models import Activity, CycleKind
from storage.reports.periods import ReportCalendar
from storage.users import get_by_telegram_id, profile_of
from tests.web.conftest import COMMUNE, OTHER_COMMUNE, PROVINCE, World


async def _submitted(world: World) -> int:
    services = world.bot.services
    now = world.bot.clock()
    async with services.sessions.begin() as session:
        chief = await profile_of(session, await get_by_telegram_id(session, COMMUNE))
        report = await cycle.open_report(session, chief, CycleKind.ANNUAL, 2026, now)
        for section, text in zip(
            cycle.SECTIONS, ("Kết quả <b>", "Khó khăn", "Đề xuất"), strict=True
        ):
            await cycle.save_section(session, chief, report.id, section, text, now)
        done = await cycle.submit(
            session,
            chief,
            report.id,
            0,
            now=now,
            zone=services.settings.zone,
            report_calendar=ReportCalendar(),
            texts=translator,
        )
        assert done.done
    async with services.sessions.begin() as session:  # corrected after submission
        first = (
            await session.get(Activity, 1)
            or (
                await session.scalars(
                    __import__("sqlalchemy").select(Activity).order_by(Activity.id)
                )
            ).first()
        )
        first.deleted = True
    return report.id


async def test_the_province_sees_the_communes_and_opens_a_report(world: World, client):
    report_id = await _submitted(world)
    async with client.get(
        f"{world.url}/app/view/reports", params={"cycle": "a2026"}, headers=world.headers(PROVINCE)
    ) as r:
        assert r.status == 200
        page = await r.text()
    assert "Báo cáo năm 2026" in page
    row = page.split(f'data-unit="{world.commune.code}"')[1].split("</tr>")[0]
    assert "Đã nộp" in row and f"id={report_id}" in row
    other = page.split(f'data-unit="{world.other.code}"')[1].split("</tr>")[0]
    assert "chưa nộp, hạn 05/12/2026" in other
    async with client.get(
        f"{world.url}/app/view/report",
        params={"id": str(report_id)},
        headers=world.headers(PROVINCE),
    ) as r:
        assert r.status == 200
        page = await r.text()
    assert "Kết quả &lt;b&gt;" in page  # escaped
    assert "Số liệu khi nộp ngày" in page
    assert "class=corrected" in page  # the deleted activity shows as a correction
    async with client.get(
        f"{world.url}/app/view/report",
        params={"id": str(report_id)},
        headers=world.headers(OTHER_COMMUNE),
    ) as r:
        assert r.status == 404
