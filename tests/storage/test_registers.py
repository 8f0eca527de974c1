"""Registers of teams, clubs, livelihood groups and trusted addresses, and
the targets that count them in the plans' words (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage import audit, registers, units
from storage.models import (
    ActivityKind,
    MemberRole,
    RegisterEvent,
    RegisterKind,
    RegisterStatus,
    Role,
    TrustedAddress,
    TrustedAddressArea,
)
from storage.registers import EntryInput, EventInput, RegisterError, RegisterImportError
from storage.reports import areas, targets
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import activity, log, member

NOW = datetime(2024, 6, 1, tzinfo=UTC)

CSV = """kind,place,name,shelters,equipment,members,events
clb,{v1},CLB trường THCS Trà Bồng,,,"truong: Hồ Thị Lan; dan-trinh; thanh-vien; thanh-vien","thanh-lap 15/03/2024"
clb,{v2},CLB trường Tiểu học,,,,"thanh-lap 2023-10-01"
dctc,{commune},Nhà chị Bình,co,,"truong: Nguyễn Thị Bình; tinh-nguyen","thanh-lap 01/02/2022; cung-co 10/05/2024: tập huấn kỹ năng"
dctc,{v1},Trạm y tế xã,,,,"thanh-lap 01/02/2021"
sinh-ke,{v2},Tổ dệt thổ cẩm,,,"truong: Đinh Thị Hoa","thanh-lap 01/01/2023; ho-tro 04/05/2024: sàn thương mại điện tử"
to-truyen-thong,{v1},Tổ truyền thông thôn 1,,"loa cầm tay, máy chiếu","truong; thanh-vien; thanh-vien","thanh-lap 01/03/2024; tam-ngung 01/05/2024"
"""


async def _world(session):
    commune, province = await tra_bong(session)
    v1 = await units.add_village(session, commune, "Thôn 1")
    v2 = await units.add_village(session, commune, "Thôn 2")
    chief = await profile(session, await person(session, 7, Role.COMMUNE_COORDINATOR, commune))
    return commune, province, v1, v2, chief


def _csv(commune, v1, v2) -> str:
    return CSV.format(commune=commune.code, v1=v1.code, v2=v2.code)


async def test_csv_import_export_and_the_audit(session):
    commune, _province, v1, v2, chief = await _world(session)
    done = await registers.import_csv(session, chief, _csv(commune, v1, v2), NOW)
    assert (done.created, done.updated) == (6, 0)
    found = await registers.entries_under(session, areas.unit_area(commune))
    by_name = {e.name: e for e in found}
    club = by_name["CLB trường THCS Trà Bồng"]
    assert club.established_on == date(2024, 3, 15)
    assert club.members[:2] == [(MemberRole.LEADER, "Hồ Thị Lan"), (MemberRole.FACILITATOR, None)]
    shelter = by_name["Nhà chị Bình"]
    assert shelter.shelters and shelter.kind is RegisterKind.TRUSTED_ADDRESS
    assert shelter.events[-1] == (RegisterEvent.STRENGTHENED, date(2024, 5, 10), "tập huấn kỹ năng")
    team = by_name["Tổ truyền thông thôn 1"]
    assert team.status is RegisterStatus.SUSPENDED and team.equipment == "loa cầm tay, máy chiếu"
    # The export reads back as the same registers.
    text = await registers.export_csv(session, areas.unit_area(commune))
    again = await registers.import_csv(session, chief, text, NOW)
    assert (again.created, again.updated) == (0, 6)
    assert await registers.entries_under(session, areas.unit_area(commune)) == found
    trail = await audit.history(session, "register_entry", club.id)
    assert [e.action for e in trail] == ["create"]  # the same data again changes nothing
    # A dated event later: audited with the status it changes.
    await registers.add_event(
        session, chief, team.id, EventInput(event=RegisterEvent.RESUMED, on=date(2024, 5, 20)), NOW
    )
    (team,) = await registers.entries_under(session, areas.unit_area(v1), RegisterKind.TEAM)
    assert team.status is RegisterStatus.ACTIVE
    trail = await audit.history(session, "register_entry", team.id)
    assert trail[-1].details["status"] == ["suspended", "active"]


@pytest.mark.parametrize(
    ("line", "code", "number"),
    [
        ("xyz,{v1},A,,,,", "unknown_kind", 2),
        ("clb,99999,A,,,,", "unknown_place", 2),
        ("clb,{v1},A,,,chu-tich: B,", "unknown_role", 2),
        ("clb,{v1},A,,,,thanh-lap 31/02/2024", "bad_date", 2),
        ("clb,{v1},A,,,,mo-rong 01/02/2024", "unknown_event", 2),
        ("clb,{v1},   ,,,,", "invalid", 2),
        ("clb,{v1},=HYPERLINK(1),,,,", "invalid", 2),  # a spreadsheet formula
    ],
)
async def test_a_bad_line_imports_nothing(session, line, code, number):
    commune, _province, v1, _v2, chief = await _world(session)
    text = "kind,place,name,shelters,equipment,members,events\n" + line.format(v1=v1.code)
    with pytest.raises(RegisterImportError) as caught:
        await registers.import_csv(session, chief, text, NOW)
    assert (caught.value.code, caught.value.line) == (code, number)
    assert await registers.entries_under(session, areas.unit_area(commune)) == []


async def test_only_a_coordinator_of_the_place_writes(session):
    _commune, _province, v1, _v2, _chief = await _world(session)
    elsewhere = await place(session, "Xã Vĩnh Linh", "Quảng Trị")
    stranger = await profile(session, await person(session, 8, Role.COMMUNE_COORDINATOR, elsewhere))
    helper = await profile(session, await person(session, 9, Role.COLLABORATOR, v1))
    data = EntryInput(kind=RegisterKind.CLUB, unit_id=v1.id, name="CLB")
    for who in (stranger, helper):
        with pytest.raises(RegisterError) as caught:
            await registers.save(session, who, data, NOW)
        assert caught.value.code == "not_allowed"


async def test_targets_count_register_entries_as_the_plan_words_them(session):
    commune, _province, v1, v2, chief = await _world(session)
    await registers.import_csv(session, chief, _csv(commune, v1, v2), NOW)
    # Club meetings in two villages, and an open trusted address that was not
    # strengthened this year: neither is what the plan counts.
    lan = await member(session, v1)
    await log(
        session,
        activity(v1, lan, date(2024, 4, 2), kind=ActivityKind.CHILDREN_CLUB),
        activity(v2, lan, date(2024, 4, 9), kind=ActivityKind.CHILDREN_CLUB),
    )
    address = TrustedAddress(name="Trạm y tế xã", phones=[], services=[], active=True)
    session.add(address)
    await session.flush()
    session.add(TrustedAddressArea(address_id=address.id, unit_id=v1.id))
    await session.flush()
    text = targets.SEED_004_CSV.format(area=commune.code, population=100)
    await targets.import_csv(session, chief, text)
    report = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 6, 30))
    figures = {line.label: line.area.achieved for line in report.lines}
    # Established in 2024: one club (the other was set up in 2023).
    assert figures["CLB “Thủ lĩnh của sự thay đổi” được thành lập"] == 1
    # Strengthened or newly set up in 2024: Nhà chị Bình; not the clinic (2021, nothing since).
    assert figures["Địa chỉ tin cậy được củng cố hoặc thành lập mới"] == 1
    # Supported in 2024: the weaving group.
    assert figures["Tổ/nhóm sinh kế có phụ nữ làm chủ ứng dụng công nghệ 4.0"] == 1
    # Before any of those events, nothing.
    early = await targets.progress(session, areas.unit_area(commune), 2024, date(2024, 3, 1))
    assert {line.label: line.area.achieved for line in early.lines}[
        "Địa chỉ tin cậy được củng cố hoặc thành lập mới"
    ] == 0
    # By village, for the commune's spreadsheet.
    wide = await targets.progress(
        session, areas.unit_area(commune), 2024, date(2024, 6, 30), with_children=True
    )
    clubs = next(line for line in wide.lines if line.spec.register_kind is RegisterKind.CLUB)
    assert {path: p.achieved for path, p in clubs.children.items()} == {v1.path: 1, v2.path: 0}


async def test_an_activity_names_a_team_of_its_own_commune(session):
    from storage import activities
    from storage.activities import ActivityProblem, Problem

    _commune, _province, v1, v2, chief = await _world(session)
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    team = await registers.save(
        session, None, EntryInput(kind=RegisterKind.TEAM, unit_id=v1.id, name="Tổ 1"), NOW
    )
    far = await registers.save(
        session, None, EntryInput(kind=RegisterKind.CLUB, unit_id=elsewhere.id, name="CLB"), NOW
    )
    assert [e.id for e in await activities.holders(session, v2.id)] == [team.entry_id]
    values = {
        "kind": "direct",
        "held_on": "2024-05-02",
        "unit_id": v2.id,
        "participants": {
            "total": 5,
            "women": 5,
            "men": 0,
            "girls": 0,
            "boys": 0,
            "ethnic_minority": 0,
        },
        "topics": ["gender_equality"],
        "language": "vi",
    }
    saved = await activities.create(
        session,
        chief,
        activities.validate({**values, "held_by_id": team.entry_id}, None, 60),
        "h1",
        NOW,
    )
    assert saved.created
    with pytest.raises(ActivityProblem) as caught:
        await activities.create(
            session,
            chief,
            activities.validate({**values, "held_by_id": far.entry_id}, None, 60),
            "h2",
            NOW,
        )
    assert caught.value.problem is Problem.HELD_BY_ELSEWHERE


async def test_storage_refuses_registers_outside_the_actors_area(session):
    """The permission is storage's, shared by the bot, the dashboard and the
    CLI: a coordinator reads the registers of their area only."""
    commune, _province, v1, v2, chief = await _world(session)
    await registers.import_csv(session, chief, _csv(commune, v1, v2), NOW)
    other = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    outsider = await profile(session, await person(session, 8, Role.COMMUNE_COORDINATOR, other))
    collaborator = await profile(session, await person(session, 9, Role.COLLABORATOR, commune))
    area, found = await registers.entries_for(session, chief)
    assert area == areas.unit_area(commune) and len(found) == 6
    area, found = await registers.entries_for(session, chief, v1.id)  # a village under theirs
    assert {e.place for e in found} == {"Thôn 1"}
    for actor, unit_id in ((outsider, commune.id), (collaborator, None), (collaborator, v1.id)):
        with pytest.raises(registers.RegisterRefused) as refused:
            await registers.entries_for(session, actor, unit_id)
        assert refused.value.code == "not_allowed"
        with pytest.raises(registers.RegisterRefused):
            await registers.export_for(session, actor, unit_id)
    # The outsider's own commune has nothing: allowed, and empty.
    assert (await registers.entries_for(session, outsider))[1] == []
    # The operator (CLI) names the unit.
    _area, text = await registers.export_for(session, None, commune.id)
    assert "CLB trường THCS Trà Bồng" in text
