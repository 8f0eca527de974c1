"""The trusted-address directory in storage: rules, permissions, places,
distances, opening hours, phones, and the CSV import and export."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot import cli
from storage import audit, trusted_addresses, units
from storage.models import AddressService, OutboxEntry, Role
from storage.trusted_addresses import AddressData, InvalidAddress, NotAllowed, checks, csvfile
from storage.trusted_addresses.hours import HoursError, canonical, normalise, parse
from storage.trusted_addresses.phones import display_phone, normalise_phone
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def texts(lang):
    from bot.i18n import translator

    return translator(lang)


def test_opening_hours_forms():
    assert normalise("Thứ 2 - Thứ 6: 7h30 - 17h") == "mon-fri 07:30-17:00"
    assert normalise("T2-T6 7h-11h30, 13h30-17h; T7 7-11") == (
        "mon-fri 07:00-11:30,13:30-17:00; sat 07:00-11:00"
    )
    assert normalise("24/24") == "24/7" and normalise("  ") == ""
    assert normalise("fri-mon 8-12") == "mon,fri-sun 08:00-12:00"
    night = parse("CN 22:00-06:00")
    assert night.is_open(datetime(2026, 11, 22, 23, 0))  # Sunday night
    assert night.is_open(datetime(2026, 11, 23, 5, 0))  # Monday early
    assert not night.is_open(datetime(2026, 11, 23, 7, 0))
    assert parse("").is_open(datetime(2026, 11, 23, 7, 0)) is None
    for wrong, code in [("hello", "format"), ("mon 25:00-26:00", "time"), ("xyz 8-9", "day")]:
        with pytest.raises(HoursError) as caught:
            parse(wrong)
        assert caught.value.code == code


@given(
    st.lists(
        st.tuples(
            st.sets(st.integers(0, 6), min_size=1),
            st.integers(0, 23 * 60),
            st.integers(1, 59),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_canonical_hours_read_back_the_same(rules):
    text = "; ".join(
        ",".join(["mon", "tue", "wed", "thu", "fri", "sat", "sun"][d] for d in sorted(days))
        + f" {start // 60:02d}:{start % 60:02d}-{(start + length) // 60:02d}:{(start + length) % 60:02d}"
        for days, start, length in rules
    )
    stored = normalise(text)
    assert normalise(stored) == stored
    assert canonical(parse(stored)) == stored


def test_phones():
    assert normalise_phone("0905.123.456") == "0905123456"
    assert normalise_phone("(0255) 3822 123") == "02553822123"
    assert normalise_phone("+84 905 123 456") == "+84905123456"
    assert normalise_phone("abc") is None and normalise_phone("12") is None
    assert display_phone("0905123456") == "+84 905 123 456"
    assert display_phone("02553822123") == "+84 255 3822 123"
    assert display_phone("1900969680") == "1900 969 680"
    assert display_phone("111") == "111"


async def test_rules_are_all_reported(session):
    commune, province = await tra_bong(session)
    collaborator = await person(session, 700, Role.COLLABORATOR, commune)
    data = AddressData(
        name="",
        unit_ids=[province.id],
        phones=["0905 123 456", "call me"],
        hours="sometimes",
        staff_ids=[collaborator.id],
        latitude=95.0,
        longitude=None,
    )
    with pytest.raises(InvalidAddress) as caught:
        await trusted_addresses.check(session, data)
    codes = [code for code, _ in caught.value.problems]
    assert codes == ["name", "phone", "hours", "unit", "staff", "location"]


async def test_coordinators_manage_their_area_only(session):
    commune, province = await tra_bong(session)
    elsewhere = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    coordinator = await profile(
        session, await person(session, 710, Role.COMMUNE_COORDINATOR, commune)
    )
    province_coordinator = await profile(
        session, await person(session, 711, Role.PROVINCE_COORDINATOR, province)
    )
    data = AddressData(name="Nhà văn hóa", unit_ids=[commune.id], hours="24/7")
    entry = await trusted_addresses.create(session, coordinator, data, NOW)
    with pytest.raises(NotAllowed):
        await trusted_addresses.create(
            session, coordinator, AddressData(name="X", unit_ids=[elsewhere.id]), NOW
        )
    with pytest.raises(NotAllowed):
        await trusted_addresses.update(
            session, coordinator, entry.id, AddressData(name="Y", unit_ids=[elsewhere.id]), NOW
        )
    await trusted_addresses.update(
        session,
        province_coordinator,
        entry.id,
        AddressData(name="Nhà văn hóa xã", unit_ids=[commune.id, elsewhere.id]),
        NOW + timedelta(days=1),
    )
    later = NOW + timedelta(days=2)
    await trusted_addresses.set_active(session, province_coordinator, entry.id, False, later)
    actions = [e.action for e in await audit.history(session, "trusted_address", entry.id)]
    assert actions == ["create", "update", "deactivate"]
    assert await trusted_addresses.for_place(session, commune.id) == []


async def test_places_covered_nearest_and_stale(session):
    commune, _ = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 3")
    other_village = await units.add_village(session, commune, "Thôn 4")
    staff = await person(session, 720, Role.TRUSTED_ADDRESS_STAFF, commune)
    whole = await trusted_addresses.create(
        session,
        None,
        AddressData(
            name="Trạm y tế",
            unit_ids=[commune.id],
            latitude=15.25,
            longitude=108.5,
            services=[AddressService.MEDICAL],
            staff_ids=[staff.id],
        ),
        NOW - timedelta(days=70),
    )
    local = await trusted_addresses.create(
        session,
        None,
        AddressData(name="Nhà chị Lan", unit_ids=[village.id], latitude=15.30, longitude=108.5),
        NOW,
    )
    for_village = await trusted_addresses.for_place(session, village.id)
    assert [v.name for v in for_village] == ["Nhà chị Lan", "Trạm y tế"]
    assert [v.name for v in await trusted_addresses.for_place(session, other_village.id)] == [
        "Trạm y tế"
    ]
    assert {v.id for v in await trusted_addresses.for_place(session, commune.id)} == {
        whole.id,
        local.id,
    }
    near = await trusted_addresses.nearest(session, 15.26, 108.5)
    assert [(v.name, round(km, 1)) for v, km in near] == [("Trạm y tế", 1.1), ("Nhà chị Lan", 4.4)]
    assert await trusted_addresses.nearest(session, 21.0, 105.8) == []  # Hà Nội: too far
    view = await trusted_addresses.get(session, whole.id)
    assert view.stale(NOW) and view.staff[0].telegram_id == 720


async def test_monthly_checks_and_stale_flags(session):
    commune, _ = await tra_bong(session)
    staff = await person(session, 730, Role.TRUSTED_ADDRESS_STAFF, commune, language="en")
    coordinator = await person(session, 731, Role.COMMUNE_COORDINATOR, commune, language="en")
    entry = await trusted_addresses.create(
        session,
        None,
        AddressData(name="Trạm y tế", unit_ids=[commune.id], staff_ids=[staff.id]),
        NOW,
    )
    assert await checks.send_checks(session, NOW + timedelta(days=10), texts) == 0
    month = NOW + timedelta(days=31)
    assert await checks.send_checks(session, month, texts) == 1
    assert await checks.send_checks(session, month + timedelta(days=1), texts) == 0
    assert await checks.flag_stale(session, month, texts) == 0
    later = NOW + timedelta(days=61)
    assert await checks.flag_stale(session, later, texts) == 1
    assert await checks.flag_stale(session, later, texts) == 0
    await trusted_addresses.confirm(session, await profile(session, staff), entry.id, later)
    assert entry.confirmed_at == later and entry.stale_notified_at is None
    other = await profile(session, await person(session, 732, Role.COLLABORATOR, commune))
    with pytest.raises(NotAllowed):
        await trusted_addresses.confirm(session, other, entry.id, later)
    kinds = {(e.chat_id, e.kind) for e in (await session.scalars(select(OutboxEntry))).all()}
    assert kinds == {
        (staff.telegram_id, "address_check"),
        (coordinator.telegram_id, "address_stale"),
    }


CSV = """id,name,places,address,phones,hours,services,staff,latitude,longitude,active
,Trạm y tế xã Trà Bồng,{commune},"Thôn 1, xã Trà Bồng",0255 3822 123;0905 123 456,T2-T6 7h30-17h,medical;counselling,740,15.25,108.5,yes
,Nhà chị Lan,{village},,0912345678,24/7,shelter,,,,
"""


async def test_csv_import_export_round_trip(session):
    commune, _ = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 3")
    await person(session, 740, Role.TRUSTED_ADDRESS_STAFF, commune)
    text = CSV.format(commune=commune.code, village=village.code)
    done = await csvfile.import_csv(session, io.StringIO(text), NOW)
    assert (done.created, done.updated) == (2, 0)
    out = io.StringIO()
    assert await csvfile.export_csv(session, out) == 2
    exported = out.getvalue()
    assert "Trạm y tế xã Trà Bồng" in exported and "mon-fri 07:30-17:00" in exported
    assert "02553822123;0905123456" in exported and "medical;counselling" in exported
    # Export then import updates the same entries, and changes nothing else.
    done = await csvfile.import_csv(session, io.StringIO(exported), NOW)
    assert (done.created, done.updated) == (0, 2)
    again = io.StringIO()
    await csvfile.export_csv(session, again)
    assert again.getvalue() == exported


async def test_csv_errors_name_their_lines_and_import_nothing(session):
    commune, _ = await tra_bong(session)
    text = (
        "name,places,phones,hours,staff,active\n"
        f"Good one,{commune.code},0905123456,24/7,,yes\n"
        "Bad place,99999,,,,\n"
        f'"Two\nlines",{commune.code},abc,whenever,123456,maybe\n'
    )
    with pytest.raises(csvfile.CsvErrors) as caught:
        await csvfile.import_csv(session, io.StringIO(text), NOW)
    assert caught.value.errors == [
        (3, "unknown place code '99999'"),
        (4, "Telegram user '123456' has not registered with the bot"),
        (4, "'active' is yes or no, not 'maybe'"),
    ]
    assert await trusted_addresses.in_area(session, None, include_inactive=True) == []
    with pytest.raises(csvfile.CsvErrors) as caught:
        await csvfile.import_csv(session, io.StringIO("name\nx\n"), NOW)
    assert caught.value.errors == [(1, "missing column(s): places")]
    fixed = text.replace("99999", commune.code).replace("123456,maybe", ",yes")
    with pytest.raises(csvfile.CsvErrors) as caught:
        await csvfile.import_csv(session, io.StringIO(fixed), NOW)
    assert [line for line, _ in caught.value.errors] == [4, 4]  # phone, hours


@pytest.mark.sqlite_only
def test_the_command_line_imports_and_exports(tmp_path, monkeypatch, capsys):
    for name in [k for k in os.environ if k.startswith("BINHDANG_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BINHDANG_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/bot.db")
    good = tmp_path / "good.csv"
    good.write_text(
        "name,places,phones,hours\nTrạm y tế xã Trà Bồng,21115,0255 3822 123,24/7\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("name,places\nNo place,\nWrong,00000\n", encoding="utf-8")
    assert cli.main(["addresses", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 2: no place" in err and "line 3: unknown place code '00000'" in err
    assert "nothing was imported" in err
    assert cli.main(["addresses", "import", str(good)]) == 0
    assert capsys.readouterr().out.strip() == "addresses: 1 added, 0 updated"
    out = tmp_path / "out.csv"
    assert cli.main(["addresses", "export", str(out)]) == 0
    assert "Trạm y tế xã Trà Bồng,21115,Xã Trà Bồng" in out.read_text(encoding="utf-8")
