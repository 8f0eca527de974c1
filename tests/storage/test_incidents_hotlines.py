"""Hotlines as data: the seed file, the fallback language, CSV errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from storage import hotlines

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def test_seeded_once_from_the_data_file(session):
    assert await hotlines.ensure_seeded(session, NOW)
    assert not await hotlines.ensure_seeded(session, NOW)
    found = await hotlines.listing(session)
    assert [h.number for h in found] == [
        "113",
        "111",
        "1900969680",
        "115",
        "114",
        "112",
        "18001233",
    ]
    child = await hotlines.by_role(session, hotlines.CHILD)
    assert child is not None and child.number == "111"
    assert child.description("vi").startswith("Tổng đài quốc gia bảo vệ trẻ em")
    assert child.description("en").startswith("National child protection hotline")
    assert child.description("km") == child.description("vi")  # no Khmer column: Vietnamese
    assert all("1567" not in h.number for h in found)


async def test_replacing_keeps_the_order_and_deactivates_the_rest(session):
    await hotlines.ensure_seeded(session, NOW)
    text = "number,role,description_vi,description_en\n115,medical,Cấp cứu,Ambulance\n113,police,Công an,\n"
    await hotlines.replace_all(session, hotlines.read_csv(io.StringIO(text)), NOW)
    found = await hotlines.listing(session)
    assert [(h.number, h.description("en")) for h in found] == [
        ("115", "Ambulance"),
        ("113", "Công an"),
    ]
    out = io.StringIO()
    await hotlines.export_csv(session, out)
    assert out.getvalue().splitlines()[0] == "number,role,description_vi,description_en"


def test_csv_errors_name_their_lines():
    text = "number,role,description_vi\nabc,x,Một\n113,police,\n113,police,Công an\n"
    with pytest.raises(hotlines.HotlineErrors) as caught:
        hotlines.read_csv(io.StringIO(text))
    assert caught.value.errors == [
        (2, "not a phone number: 'abc'"),
        (3, "no description"),
        (4, "113 is listed twice"),
    ]
