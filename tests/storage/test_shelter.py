"""Shelter intakes: no name, the referral and incident code encrypted, who
may record them, and the figures by commune and period (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot.i18n import translator
from storage import audit, registers, shelter, units
from storage.incidents.art36 import Art36Result
from storage.incidents.crypto import Cipher
from storage.models import Art36Notice, RegisterKind, Role, ShelterIntake
from storage.registers import EntryInput
from storage.reports import areas
from storage.reports.periods import parse_period
from storage.reports.render import summary_text
from storage.reports.report import build_report
from storage.shelter import IntakeError, IntakeInput, Support
from tests.storage.helpers import person, place, profile, tra_bong

NOW = datetime(2024, 6, 1, tzinfo=UTC)
CIPHER = Cipher("a-test-secret-key-for-shelters")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


async def _world(session):
    commune, province = await tra_bong(session)
    village = await units.add_village(session, commune, "Thôn 1")
    staff = await profile(session, await person(session, 11, Role.TRUSTED_ADDRESS_STAFF, village))
    home = await registers.save(
        session,
        None,
        EntryInput(
            kind=RegisterKind.TRUSTED_ADDRESS,
            unit_id=village.id,
            name="Nhà chị Bình",
            shelters=True,
        ),
        NOW,
    )
    plain = await registers.save(
        session,
        None,
        EntryInput(kind=RegisterKind.TRUSTED_ADDRESS, unit_id=commune.id, name="Trạm y tế"),
        NOW,
    )
    return commune, province, village, staff, home.entry_id, plain.entry_id


async def test_an_intake_is_kept_without_anything_readable_about_the_person(session):
    commune, _province, _village, staff, home, _plain = await _world(session)
    assert [e.id for e in await shelter.shelters_for(session, staff)] == [home]  # not `plain`
    data = IntakeInput(
        entry_id=home,
        taken_in_on=date(2024, 5, 20),
        nights=3,
        support=frozenset({Support.SHELTER, Support.COUNSELLING}),
        referral_to="Bệnh viện huyện Trà Bồng",
        incident_code="bd 7k3q",
    )
    done = await shelter.record_intake(session, staff, data, CIPHER, "k1", NOW, translator)
    again = await shelter.record_intake(session, staff, data, CIPHER, "k1", NOW, translator)
    assert done.created and not again.created and again.intake_id == done.intake_id
    assert done.commune_id == commune.id  # counted at the commune of the address
    stored = await session.get(ShelterIntake, done.intake_id)
    assert stored.referral  # a referral given, since there is somewhere referred to
    assert shelter.referral_of(stored, CIPHER) == "Bệnh viện huyện Trà Bồng"
    assert shelter.incident_code_of(stored, CIPHER) == "BD-7K3Q"
    raw = " ".join(
        str(v) for v in (await session.execute(text("SELECT * FROM shelter_intakes"))).one()
    )
    assert "Bệnh viện" not in raw and "7K3Q" not in raw
    trail = await audit.history(session, "shelter_intake", done.intake_id)
    assert "Bệnh viện" not in str(trail[0].details) and "7K3Q" not in str(trail[0].details)


async def test_who_may_record(session):
    _commune, _province, village, _staff, home, plain = await _world(session)
    far = await place(session, "Xã Bình Sơn", "Quảng Ngãi")
    helper = await profile(session, await person(session, 12, Role.COLLABORATOR, village))
    stranger = await profile(session, await person(session, 13, Role.TRUSTED_ADDRESS_STAFF, far))
    data = IntakeInput(entry_id=home, taken_in_on=date(2024, 5, 20), nights=1, support=frozenset())
    for who in (helper, stranger):
        with pytest.raises(IntakeError):
            await shelter.record_intake(session, who, data, CIPHER, f"k{who.id}", NOW, translator)
    staff = await profile(session, (await person(session, 14, Role.TRUSTED_ADDRESS_STAFF, village)))
    with pytest.raises(IntakeError):  # an address that does not shelter people
        await shelter.record_intake(
            session,
            staff,
            data.model_copy(update={"entry_id": plain}),
            CIPHER,
            "k9",
            NOW,
            translator,
        )
    with pytest.raises(ValueError, match="incident_code"):
        IntakeInput(
            entry_id=home,
            taken_in_on=date(2024, 5, 20),
            nights=1,
            support=frozenset(),
            incident_code="hello",
        )


async def test_intakes_count_by_commune_and_period_with_the_support(session):
    commune, _province, _village, staff, home, _plain = await _world(session)
    for n, (day, nights, support) in enumerate(
        (
            (date(2024, 2, 1), 2, {Support.SHELTER}),
            (date(2024, 5, 20), 3, {Support.SHELTER, Support.COUNSELLING, Support.LEGAL}),
            (date(2024, 8, 1), 1, {Support.MEDICAL}),  # the second half of the year
        )
    ):
        data = IntakeInput(
            entry_id=home, taken_in_on=day, nights=nights, support=frozenset(support)
        )
        await shelter.record_intake(session, staff, data, CIPHER, f"c{n}", NOW, translator)
    figures = await shelter.intake_figures(
        session, areas.unit_area(commune), parse_period("2024H1")
    )
    assert (figures.intakes, figures.nights) == (2, 5)
    assert figures.support == {Support.SHELTER: 2, Support.COUNSELLING: 1, Support.LEGAL: 1}
    report = await build_report(
        session, areas.unit_area(commune), parse_period("2024H1"), today=date(2024, 7, 1), zone=ZONE
    )
    text_vi = summary_text(
        report.summary, report.targets, report.completeness, translator("vi"), html=False
    )
    assert "Tạm lánh: 2 người được tiếp nhận, 5 đêm" in text_vi
    assert "chỗ ở tạm lánh: 2 · tư vấn: 1 · trợ giúp pháp lý: 1" in text_vi
    rows = (await session.scalars(select(ShelterIntake.unit_id))).all()
    assert set(rows) == {commune.id}


async def test_the_art36_notice_goes_with_each_intake(session):
    commune, _province, _village, staff, home, _plain = await _world(session)
    chief = await profile(session, await person(session, 15, Role.COMMUNE_COORDINATOR, commune))
    data = IntakeInput(
        entry_id=home, taken_in_on=date(2024, 5, 20), nights=2, support=frozenset({Support.SHELTER})
    )
    done = await shelter.record_intake(session, chief, data, CIPHER, "n1", NOW, translator)
    assert done.notice is not None and done.notice.result is Art36Result.SENT
    stored = await session.get(ShelterIntake, done.intake_id)
    assert stored.notice_id == done.notice.notice_id is not None
    notice = await session.get(Art36Notice, stored.notice_id)
    assert notice is not None
    # Someone who is not a responder of the commune still records the intake;
    # the notice is refused (and audited by the notice's use-case), not faked.
    other = await shelter.record_intake(session, staff, data, CIPHER, "n2", NOW, translator)
    assert other.notice is not None and other.notice.result is Art36Result.NOT_ALLOWED
    assert (await session.get(ShelterIntake, other.intake_id)).notice_id is None
