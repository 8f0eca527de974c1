"""/registers through the local Bot API: the list, the CSV file, and a CSV
sent back with the caption /registers (issue 16)."""

from __future__ import annotations

from storage import trusted_addresses
from storage.models import RegisterKind
from storage.registers import entries_under
from storage.reports import areas
from storage.trusted_addresses import AddressData
from tests.handlers.activities_helpers import COORDINATOR, setup_people
from tests.handlers.conftest import USER
from tests.harness import texts


async def _send_csv(bot, user: int, text: str, caption: str | None = "/registers"):
    before = len(bot.seen)
    update_id = await bot.api.send_document(user, text.encode("utf-8"), "mo-hinh.csv", caption)
    await bot.app.wait_processed(update_id, 10)
    return bot.seen[before:]


async def test_list_download_and_send_back(bot):
    places = await setup_people(bot)
    replies = await bot.send(COORDINATOR, "/registers")
    assert "Nothing registered yet." in texts(replies)[0]
    csv = (
        "kind,place,name,shelters,equipment,members,events\n"
        f'clb,{places.village.code},CLB trường THCS,,,"truong: Hồ Thị Lan; thanh-vien",'
        '"thanh-lap 15/03/2024"\n'
        f"dctc,{places.commune.code},Nhà chị Bình,co,,truong: Nguyễn Thị Bình,"
        '"thanh-lap 01/02/2022; cung-co 10/05/2024"\n'
    )
    # A wrong line: nothing imported, the line named.
    replies = await _send_csv(bot, COORDINATOR, csv.replace("cung-co", "mo-rong"))
    assert texts(replies) == [
        "Line 3: unknown event “mo-rong”. Nothing was imported; correct the file and send it again."
    ]
    replies = await _send_csv(bot, COORDINATOR, csv)
    assert texts(replies) == ["Imported: 2 new entries, 0 updated. Send /registers to see them."]
    listing = texts(await bot.send(COORDINATOR, "/registers"))[0]
    assert "“Leaders of Change” clubs: 1" in listing
    assert "• CLB trường THCS (Thôn 1) — established 3/15/24 — 2 members (Hồ Thị Lan)" in listing
    assert (
        "Nhà chị Bình (Xã Trà Bồng) — strengthened 5/10/24 — also shelters people"
        " — not in the directory" in listing
    )
    replies = await bot.press(COORDINATOR, label="📥 CSV file")
    (document,) = [m for m in replies if m.kind == "document"]
    content = bot.api.file_bytes(document.file_id).decode("utf-8-sig")
    assert content.splitlines()[0] == "kind,place,name,shelters,equipment,members,events,address"
    assert "clb," in content and "cung-co 10/05/2024" in content
    # The file sent back as it came changes nothing.
    replies = await _send_csv(bot, COORDINATOR, content)
    assert texts(replies) == ["Imported: 0 new entries, 2 updated. Send /registers to see them."]
    async with bot.services.sessions() as session:
        found = await entries_under(session, areas.unit_area(places.commune))
    assert [e.kind for e in found] == [RegisterKind.CLUB, RegisterKind.TRUSTED_ADDRESS]


async def test_a_directory_address_shows_in_the_registers(bot):
    """An address added to the directory is a register entry at once, shown
    with its directory number; a register line names it by that number."""
    places = await setup_people(bot)
    async with bot.services.sessions.begin() as session:
        address = await trusted_addresses.create(
            session,
            None,
            AddressData(name="Trạm y tế xã", unit_ids=[places.commune.id], hours="24/7"),
            bot.services.clock(),
        )
    listing = texts(await bot.send(COORDINATOR, "/registers"))[0]
    assert "Trusted addresses: 1" in listing
    assert f"• Trạm y tế xã (Xã Trà Bồng) — directory no. {address.id}" in listing
    csv = (
        "kind,place,name,shelters,equipment,members,events,address\n"
        f"dctc,{places.commune.code},Nhà chị Bình,co,,,,{address.id}\n"
    )
    replies = await _send_csv(bot, COORDINATOR, csv)
    assert texts(replies) == [
        f"Line 2: the directory's address no. {address.id} is already another entry's."
        " Nothing was imported; correct the file and send it again."
    ]


async def test_only_coordinators(bot):
    await setup_people(bot)
    replies = await bot.send(USER, "/registers")
    assert texts(replies) == ["Only coordinators can manage the registers."]
    replies = await _send_csv(bot, USER, "kind,place,name\n")
    assert texts(replies) == ["Only coordinators can manage the registers."]
    # A CSV without the caption is not taken for a register.
    replies = await _send_csv(bot, USER, "kind,place,name\n", caption=None)
    assert "/registers" not in " ".join(texts(replies))
