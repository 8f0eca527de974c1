"""A trusted address in the registers and its row in the directory are one
address: the register entry is made or linked when the directory row is
created, changed or confirmed (one function), named in the register CSV by
the directory's id, and still what the "strengthened or newly set up" target
counts (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from storage import audit, migrate, registers, trusted_addresses, units
from storage.db import make_engine, make_sessionmaker
from storage.models import (
    AddressService,
    RegisterEntry,
    RegisterEvent,
    RegisterKind,
    Role,
    TrustedAddress,
    TrustedAddressArea,
    TrustedAddressStaff,
)
from storage.registers import EventInput, RegisterImportError
from storage.reports import areas, targets
from storage.trusted_addresses import AddressData
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2024, 6, 1, tzinfo=UTC)
HEADER = "kind,place,name,shelters,equipment,members,events,address\n"
RENEWED = "{area},2024,renewed,,,,,4,,Địa chỉ tin cậy được củng cố hoặc thành lập mới,,dctc\n"


async def _world(session):
    commune, _province = await tra_bong(session)
    v1 = await units.add_village(session, commune, "Thôn 1")
    chief = await profile(session, await person(session, 7, Role.COMMUNE_COORDINATOR, commune))
    return commune, v1, chief


async def _entries(session, commune):
    return await registers.entries_under(
        session, areas.unit_area(commune), RegisterKind.TRUSTED_ADDRESS
    )


async def _renewed(session, chief, commune, as_of: date) -> int:
    header = ",".join(targets.CSV_COLUMNS) + "\n"
    await targets.import_csv(session, chief, header + RENEWED.format(area=commune.code))
    report = await targets.progress(session, areas.unit_area(commune), 2024, as_of)
    (line,) = [x for x in report.lines if x.spec.register_kind is RegisterKind.TRUSTED_ADDRESS]
    return line.area.achieved


async def test_an_address_added_to_the_directory_is_in_the_register(session):
    commune, v1, chief = await _world(session)
    data = AddressData(
        name="Nhà chị Bình", unit_ids=[v1.id], services=[AddressService.SHELTER], hours="24/7"
    )
    address = await trusted_addresses.create(session, chief, data, NOW)
    (entry,) = await _entries(session, commune)
    assert (entry.address_id, entry.name, entry.place_code) == (address.id, "Nhà chị Bình", v1.code)
    assert entry.shelters  # from the directory's services, once; the register keeps it after
    assert entry.events == []  # being listed is not "newly set up": a coordinator dates that
    trail = await audit.history(session, "register_entry", entry.id)
    assert [(e.action, e.actor_id) for e in trail] == [("create", chief.id)]
    assert await _renewed(session, chief, commune, date(2024, 6, 30)) == 0
    await registers.add_event(
        session,
        chief,
        entry.id,
        EventInput(event=RegisterEvent.STRENGTHENED, on=date(2024, 5, 10)),
        NOW,
    )
    assert await _renewed(session, chief, commune, date(2024, 6, 30)) == 1
    # Renamed and confirmed in the directory: the same entry, under the new name.
    data.name = "Nhà bà Bình"
    data.services = []
    await trusted_addresses.update(session, chief, address.id, data, NOW + timedelta(days=1))
    await trusted_addresses.confirm(session, chief, address.id, NOW + timedelta(days=40))
    (again,) = await _entries(session, commune)
    assert (again.id, again.name, again.address_name) == (entry.id, "Nhà bà Bình", "Nhà bà Bình")
    assert again.shelters  # whether it shelters people stays the register's
    assert await _renewed(session, chief, commune, date(2024, 6, 30)) == 1


async def test_an_entry_kept_before_the_link_is_linked_when_confirmed(session):
    commune, v1, chief = await _world(session)
    line = f"dctc,{commune.code},Nhà chị Bình,co,,,cung-co 10/05/2024,\n"
    await registers.import_csv(session, chief, HEADER + line, NOW)
    # A directory row kept before the link (no register entry made with it).
    address = TrustedAddress(
        name="nhà chị  bình", phones=[], services=[], active=True, confirmed_at=NOW
    )
    session.add(address)
    await session.flush()
    session.add(TrustedAddressArea(address_id=address.id, unit_id=v1.id))
    await session.flush()
    (entry,) = await _entries(session, commune)
    assert entry.address_id is None
    staff = await person(session, 8, Role.TRUSTED_ADDRESS_STAFF, commune)
    session.add(TrustedAddressStaff(address_id=address.id, user_id=staff.id))
    await session.flush()
    later = NOW + timedelta(days=31)
    await trusted_addresses.confirm(session, await profile(session, staff), address.id, later)
    (linked,) = await _entries(session, commune)  # the same entry, not a second one
    assert (linked.id, linked.address_id, linked.events) == (entry.id, address.id, entry.events)
    trail = await audit.history(session, "register_entry", entry.id)
    assert trail[-1].action == "link"
    assert await _renewed(session, chief, commune, date(2024, 6, 30)) == 1


async def test_the_csv_names_the_directory_row(session):
    commune, v1, chief = await _world(session)
    one = await trusted_addresses.create(
        session, chief, AddressData(name="Trạm y tế xã", unit_ids=[commune.id]), NOW
    )
    # A register entry typed before the directory row, then linked by the CSV.
    loose = await registers.save(
        session,
        chief,
        registers.EntryInput(kind=RegisterKind.TRUSTED_ADDRESS, unit_id=v1.id, name="Nhà cô Hoa"),
        NOW,
    )
    other = TrustedAddress(name="Nhà cô Hoa (Thôn 1)", phones=[], services=[], active=True)
    session.add(other)
    await session.flush()
    session.add(TrustedAddressArea(address_id=other.id, unit_id=v1.id))
    await session.flush()
    line = f"dctc,{v1.code},Nhà cô Hoa,,,,thanh-lap 01/03/2024,#{other.id}\n"
    done = await registers.import_csv(session, chief, HEADER + line, NOW)
    assert (done.created, done.updated) == (0, 1)
    found = {e.name: e for e in await _entries(session, commune)}
    assert found["Nhà cô Hoa"].address_id == other.id
    assert found["Nhà cô Hoa"].id == loose.entry_id
    assert found["Trạm y tế xã"].address_id == one.id
    # The export carries the reference and reads back unchanged.
    exported = await registers.export_csv(session, areas.unit_area(commune))
    assert exported.splitlines()[0].endswith(",address")
    assert any(row.endswith(f",{other.id}") for row in exported.splitlines())
    again = await registers.import_csv(session, chief, exported, NOW)
    assert again.created == 0
    assert {e.name: e for e in await _entries(session, commune)} == found
    # A directory row named by two entries, by a club, or unknown: nothing imported.
    taken = f"dctc,{commune.code},Khác,,,,,{one.id}\n"
    club = f"clb,{v1.code},CLB,,,,,{other.id}\n"
    unknown = f"dctc,{v1.code},Nhà mới,,,,,99999\n"
    word = f"dctc,{v1.code},Nhà mới,,,,,số 3\n"
    for bad, code in (
        (taken, "address_taken"),
        (club, "address_only_for_trusted"),
        (unknown, "unknown_address"),
        (word, "unknown_address"),
    ):
        with pytest.raises(RegisterImportError) as caught:
            async with session.begin_nested():  # the bot's transaction, rolled back
                await registers.import_csv(session, chief, HEADER + bad, NOW)
        assert (caught.value.code, caught.value.line) == (code, 2)
    # A coordinator of another commune cannot claim this commune's row.
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    stranger = await profile(session, await person(session, 9, Role.COMMUNE_COORDINATOR, elsewhere))
    theirs = f"dctc,{elsewhere.code},Nhà X,,,,,{one.id}\n"
    with pytest.raises(RegisterImportError) as caught:
        async with session.begin_nested():
            await registers.import_csv(session, stranger, HEADER + theirs, NOW)
    assert caught.value.code == "not_allowed"
    count = len((await session.scalars(select(RegisterEntry))).all())
    assert count == 2


async def test_an_address_of_several_places_is_kept_at_their_commune(session):
    commune, v1, chief = await _world(session)
    v2 = await units.add_village(session, commune, "Thôn 2")
    await trusted_addresses.create(
        session, chief, AddressData(name="Hội LHPN xã", unit_ids=[v1.id, v2.id]), NOW
    )
    # Another address with the same name at the same place keeps both apart.
    await trusted_addresses.create(
        session, chief, AddressData(name="Hội LHPN xã", unit_ids=[commune.id]), NOW
    )
    found = await _entries(session, commune)
    assert [e.place_code for e in found] == [commune.code, commune.code]
    assert len({e.name for e in found}) == 2 and len({e.address_id for e in found}) == 2


@pytest.mark.sqlite_only
async def test_0021_links_keeps_existing_register_entries(tmp_path):
    """Register entries kept before 0021_links stay, with no link."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    await migrate.upgrade(engine, "0016_plans")
    await migrate.upgrade(engine, "0012_privacy")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO units (id, code, name, level, kind, path, search_key, active, created_at)"
                " VALUES (1, '51', 'Quảng Ngãi', 'province', 'tinh', '/1/', 'quang ngai', 1, '2024-01-01'),"
                " (2, '21115', 'Xã Trà Bồng', 'commune', 'xa', '/1/2/', 'tra bong', 1, '2024-01-01')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO register_entries (id, kind, unit_id, name, status, shelters,"
                " created_at, updated_at) VALUES (1, 'trusted_address', 2, 'Nhà chị Bình',"
                " 'active', 1, '2024-01-01', '2024-01-01')"
            )
        )
    await migrate.upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        entry = await session.get(RegisterEntry, 1)
        assert (entry.name, entry.shelters, entry.address_id) == ("Nhà chị Bình", True, None)
    await engine.dispose()
