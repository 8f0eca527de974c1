from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage import units
from storage.models import UnitLevel
from storage.text import fold, search_key


async def test_the_official_tree_is_complete(session):
    assert await units.count_units(session, UnitLevel.PROVINCE) == 34
    assert await units.count_units(session, UnitLevel.COMMUNE) == 3321


async def test_import_is_idempotent(session):
    added, renamed = await units.import_official_tree(session)
    assert (added, renamed) == (0, 0)
    assert await units.count_units(session) == 34 + 3321


async def test_tra_bong_finds_the_three_communes_in_quang_ngai(session):
    hits = await units.search(session, "tra bong", level=UnitLevel.COMMUNE)
    names = {(h.name, h.province_name) for h in hits}
    assert names >= {
        ("Xã Trà Bồng", "Quảng Ngãi"),
        ("Xã Đông Trà Bồng", "Quảng Ngãi"),
        ("Xã Tây Trà Bồng", "Quảng Ngãi"),
    }
    assert hits[0].name == "Xã Trà Bồng"  # the exact name comes first


async def test_binh_son_finds_every_province_whatever_the_case(session):
    for text in ("binh son", "BÌNH SƠN", "Xã Bình Sơn"):
        hits = await units.search(session, text, level=UnitLevel.COMMUNE)
        provinces = {h.province_name for h in hits if h.name == "Xã Bình Sơn"}
        assert provinces == {"Ninh Bình", "Quảng Ngãi", "An Giang"}, text


async def test_vinh_linh_and_kbang(session):
    [vinh_linh] = [h for h in await units.search(session, "vinh linh") if h.name == "Xã Vĩnh Linh"]
    assert vinh_linh.province_name == "Quảng Trị"
    kbang = await units.search(session, "kbang", level=UnitLevel.COMMUNE)
    assert [(h.name, h.province_name) for h in kbang][:1] == [("Xã Kbang", "Gia Lai")]


async def test_lo_ku_is_no_longer_in_the_list(session):
    assert await units.search(session, "lo ku", level=UnitLevel.COMMUNE) == []


async def test_search_within_a_province(session):
    [quang_ngai] = await units.search(session, "quang ngai", level=UnitLevel.PROVINCE)
    province = await units.get_unit(session, quang_ngai.id)
    hits = await units.search(session, "binh son", within=province)
    assert [h.province_name for h in hits] == ["Quảng Ngãi"]


async def test_wildcards_in_input_match_nothing_special(session):
    assert await units.search(session, "%") == []
    assert await units.search(session, "_") == []
    assert await units.search(session, "") == []


async def test_villages_are_added_once_under_their_commune(session):
    [hit] = [h for h in await units.search(session, "tra bong") if h.name == "Xã Trà Bồng"]
    commune = await units.get_unit(session, hit.id)
    first = await units.add_village(session, commune, "Thôn 3")
    again = await units.add_village(session, commune, "thon 3")
    other = await units.add_village(session, commune, "Làng Mới")
    assert first.id == again.id
    assert other.code == f"{commune.code}-002"
    assert first.path == f"{commune.path}{first.code}/"
    assert await units.describe(session, first) == "Thôn 3, Xã Trà Bồng, Quảng Ngãi"
    hits = await units.search(session, "lang moi", within=commune)
    assert [h.commune_name for h in hits] == ["Xã Trà Bồng"]


def test_fold_handles_d_with_stroke():
    assert fold("Đông Trà Bồng") == "dong tra bong"
    assert search_key("Xã Đông Trà Bồng") == "dong tra bong"


@given(st.text(max_size=200))
def test_fold_is_ascii_and_idempotent(text):
    folded = fold(text)
    assert folded == fold(folded)
    assert all(c.isascii() for c in folded)
