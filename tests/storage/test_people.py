from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.approval import TEXTS
from storage import audit, people, registration, units
from storage.models import (
    ActivityRollup,
    AuditEntry,
    Invite,
    RegistrationRequest,
    Role,
    TopicRollup,
    TrustedAddress,
    TrustedAddressArea,
    Unit,
    User,
    UserStatus,
)
from storage.people import PeopleError
from storage.profiles import ProfileCache
from storage.registration import Outcome
from storage.reports import areas, rollups
from storage.reports.aggregates import summarize
from storage.reports.periods import month_period
from tests.storage.helpers import person, place, profile, tra_bong
from tests.storage.reports_data import activity, log

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


async def _setup(session):
    """Xã Trà Bồng with two villages, its coordinator, a collaborator in each
    village, and the province coordinator."""
    commune, province = await tra_bong(session)
    one = await units.add_village(session, commune, "Thôn 1")
    two = await units.add_village(session, commune, "Thôn 2")
    coordinator = await person(session, 10, Role.COMMUNE_COORDINATOR, commune)
    head = await person(session, 11, Role.PROVINCE_COORDINATOR, province)
    a = await person(session, 20, Role.COLLABORATOR, one)
    b = await person(session, 21, Role.TEAM_MEMBER, two)
    return commune, province, one, two, coordinator, head, a, b


async def _entries(session, entity, entity_id):
    return [(e.action, e.details) for e in await audit.history(session, entity, entity_id)]


# Pending requests.
async def test_pending_requests_of_the_area_with_their_age(session):
    commune, _province, one, _, coordinator, head, *_ = await _setup(session)
    other = await place(session, "Phường Hoàn Kiếm")
    mine = await person(session, 30)
    elsewhere = await person(session, 31)
    peer = await person(session, 32)
    await registration.submit(session, mine.id, Role.COLLABORATOR, one.id)
    await registration.submit(session, elsewhere.id, Role.COLLABORATOR, other.id)
    await registration.submit(session, peer.id, Role.COMMUNE_COORDINATOR, commune.id)
    for request in (await session.scalars(select(RegistrationRequest))).all():
        request.created_at = NOW - timedelta(days=3)
    await session.flush()

    listed = await people.pending_requests(session, await profile(session, coordinator), NOW)
    assert [(r.user_id, r.age) for r in listed] == [(mine.id, timedelta(days=3))]
    assert listed[0].place.startswith("Thôn 1, Xã Trà Bồng")
    # The province coordinator also decides the commune coordinator's request.
    listed = await people.pending_requests(session, await profile(session, head), NOW)
    assert {r.user_id for r in listed} == {mine.id, peer.id}
    collaborator = await person(session, 40, Role.COLLABORATOR, one)
    with pytest.raises(PeopleError) as refused:
        await people.pending_requests(session, await profile(session, collaborator), NOW)
    assert refused.value.code == "not_allowed"
    with pytest.raises(PeopleError):
        await people.pending_requests(
            session, await profile(session, coordinator), NOW, unit_id=other.id
        )


async def test_a_request_decided_from_the_list_is_audited(session):
    *_, coordinator, _head, _a, _b = await _setup(session)
    commune = await session.get(Unit, coordinator.unit_id)
    applicant = await person(session, 30)
    submitted = await registration.submit(session, applicant.id, Role.COLLABORATOR, commune.id)
    actor = await profile(session, coordinator)
    decision = await people.decide_request(
        session, actor, submitted.request.id, approve=True, now=NOW, texts=TEXTS
    )
    assert decision.outcome is Outcome.APPROVED
    assert applicant.status is UserStatus.ACTIVE
    assert await _entries(session, registration.ENTITY, submitted.request.id) == [
        (
            "approved",
            {
                "user_id": applicant.id,
                "role": "collaborator",
                "unit_id": commune.id,
                "before": {"status": "pending"},
                "after": {"status": "approved"},
            },
        )
    ]
    assert await people.pending_requests(session, actor, NOW) == []
    again = await people.decide_request(
        session, actor, submitted.request.id, approve=False, now=NOW, texts=TEXTS
    )
    assert again.outcome is Outcome.ALREADY_DECIDED


async def test_a_stranger_decides_nothing(session):
    *_, coordinator, _head, _a, _b = await _setup(session)
    stranger = await person(
        session, 50, Role.COMMUNE_COORDINATOR, await place(session, "Phường Hoàn Kiếm")
    )
    applicant = await person(session, 30)
    submitted = await registration.submit(
        session, applicant.id, Role.COLLABORATOR, coordinator.unit_id
    )
    decision = await people.decide_request(
        session,
        await profile(session, stranger),
        submitted.request.id,
        approve=True,
        now=NOW,
        texts=TEXTS,
    )
    assert decision.outcome is Outcome.NOT_ALLOWED
    assert applicant.status is UserStatus.PENDING
    assert [a for a, _ in await _entries(session, registration.ENTITY, submitted.request.id)] == [
        "denied"
    ]


# People.
async def test_people_under_a_unit_with_their_last_activity(session):
    _, _, one, two, coordinator, head, a, b = await _setup(session)
    await log(session, activity(one, a, date(2026, 10, 2)), activity(one, a, date(2026, 11, 3)))
    actor = await profile(session, coordinator)
    page = await people.list_people(session, actor)
    assert page.total == 3  # the coordinator, a and b; not the province coordinator
    by_id = {p.id: p for p in page.people}
    assert by_id[a.id].last_activity == date(2026, 11, 3)
    assert by_id[b.id].last_activity is None
    assert by_id[a.id].place.startswith("Thôn 1, Xã Trà Bồng")
    assert by_id[a.id].can_manage and not by_id[coordinator.id].can_manage
    village = await people.list_people(session, actor, unit_id=two.id)
    assert [p.id for p in village.people] == [b.id]
    first = await people.list_people(session, actor, limit=2)
    second = await people.list_people(session, actor, offset=2, limit=2)
    assert len(first.people) == 2 and len(second.people) == 1
    assert {p.id for p in first.people + second.people} == set(by_id)
    with pytest.raises(PeopleError):
        await people.get_person(
            session,
            await profile(
                session,
                await person(
                    session, 51, Role.COMMUNE_COORDINATOR, await place(session, "Phường Hoàn Kiếm")
                ),
            ),
            a.id,
        )
    assert (await people.get_person(session, await profile(session, head), a.id)).id == a.id


async def test_deactivate_and_reactivate_are_audited_and_reach_the_profile(sessions):
    async with sessions.begin() as session:
        *_, coordinator, _head, a, _b = await _setup(session)
        ids = coordinator.id, a.id, a.telegram_id
    cache = ProfileCache()
    engine = sessions.kw["bind"]
    cache.attach(engine)
    loaded = await cache.load(sessions, ids[2], "User 20", None)
    assert loaded.is_active
    async with sessions.begin() as session:
        actor = await profile(session, await session.get(User, ids[0]))
        changed = await people.deactivate(session, actor, ids[1])
        assert changed.status is UserStatus.DEACTIVATED
    # The next update of that person sees the change.
    loaded = await cache.load(sessions, ids[2], "User 20", None)
    assert loaded.status is UserStatus.DEACTIVATED and not loaded.is_active
    async with sessions.begin() as session:
        with pytest.raises(PeopleError) as twice:
            await people.deactivate(session, actor, ids[1])
        assert twice.value.code == "not_active"
    async with sessions.begin() as session:
        await people.reactivate(session, actor, ids[1])
        user = await session.get(User, ids[1])
        assert user.status is UserStatus.ACTIVE and user.role is Role.COLLABORATOR
        assert await _entries(session, "user", ids[1]) == [
            ("deactivate", {"before": {"status": "active"}, "after": {"status": "deactivated"}}),
            ("reactivate", {"before": {"status": "deactivated"}, "after": {"status": "active"}}),
        ]


async def test_move_within_the_area_and_not_outside(session):
    commune, province, one, two, coordinator, head, a, _ = await _setup(session)
    actor = await profile(session, coordinator)
    moved = await people.move_person(session, actor, a.id, two.id)
    assert moved.unit_id == two.id
    assert await _entries(session, "user", a.id) == [
        (
            "move",
            {
                "before": {"role": "collaborator", "unit_id": one.id},
                "after": {"role": "collaborator", "unit_id": two.id},
            },
        )
    ]
    # Another commune of the same province is outside a commune coordinator's area...
    neighbour = next(c for c in await units.children(session, province.id) if c.id != commune.id)
    with pytest.raises(PeopleError) as refused:
        await people.move_person(session, actor, a.id, neighbour.id)
    assert refused.value.code == "not_allowed"
    # ...but not the province coordinator's.
    moved = await people.move_person(session, await profile(session, head), a.id, neighbour.id)
    assert moved.unit_id == neighbour.id
    # The role must be held at that level.
    with pytest.raises(PeopleError) as level:
        await people.move_person(session, await profile(session, head), a.id, province.id)
    assert level.value.code == "wrong_level"
    await session.refresh(a)
    assert a.unit_id == neighbour.id


async def test_roles_stay_below_the_actor(session):
    commune, province, _one, _, coordinator, head, a, b = await _setup(session)
    actor = await profile(session, coordinator)
    changed = await people.change_role(session, actor, a.id, Role.TEAM_MEMBER)
    assert changed.role is Role.TEAM_MEMBER
    for role, unit_id in (
        (Role.PROVINCE_COORDINATOR, province.id),
        (Role.COMMUNE_COORDINATOR, commune.id),
        (Role.ADMIN, None),
    ):
        with pytest.raises(PeopleError) as refused:
            await people.change_role(session, actor, a.id, role, unit_id)
        assert refused.value.code in ("role_too_high", "not_allowed")
    with pytest.raises(PeopleError) as too_high:
        await people.change_role(session, actor, a.id, Role.PROVINCE_COORDINATOR)
    assert too_high.value.code == "role_too_high"
    # A peer or a superior is not the coordinator's to change.
    with pytest.raises(PeopleError):
        await people.deactivate(session, actor, head.id)
    with pytest.raises(PeopleError):
        await people.deactivate(session, actor, coordinator.id)
    # The province coordinator may make someone commune coordinator of a commune.
    boss = await profile(session, head)
    with pytest.raises(PeopleError) as level:
        await people.change_role(session, boss, b.id, Role.COMMUNE_COORDINATOR)
    assert level.value.code == "wrong_level"
    promoted = await people.change_role(session, boss, b.id, Role.COMMUNE_COORDINATOR, commune.id)
    assert (promoted.role, promoted.unit_id) == (Role.COMMUNE_COORDINATOR, commune.id)
    with pytest.raises(PeopleError):
        await people.change_role(session, boss, b.id, Role.PROVINCE_COORDINATOR, province.id)
    admin = await profile(session, await person(session, 1, Role.ADMIN))
    done = await people.change_role(session, admin, b.id, Role.PROVINCE_COORDINATOR, province.id)
    assert done.role is Role.PROVINCE_COORDINATOR
    assert [a for a, _ in await _entries(session, "user", b.id)] == ["role", "role"]


async def test_a_stranger_gets_nothing(session):
    _, _, one, two, _, _, a, _ = await _setup(session)
    for role, unit in (
        (Role.COMMUNE_COORDINATOR, await place(session, "Phường Hoàn Kiếm")),
        (Role.COLLABORATOR, one),
        (None, None),
    ):
        stranger = await profile(session, await person(session, 60 + len(str(role)), role, unit))
        for call in (
            people.list_people(session, stranger, one.id),
            people.get_person(session, stranger, a.id),
            people.deactivate(session, stranger, a.id),
            people.move_person(session, stranger, a.id, two.id),
            people.change_role(session, stranger, a.id, Role.TEAM_MEMBER),
            people.rename_village(session, stranger, one.id, "Thôn Một"),
            people.merge_villages(session, stranger, one.id, two.id),
        ):
            with pytest.raises(PeopleError) as refused:
                await call
            assert refused.value.code == "not_allowed"
    await session.refresh(a)
    assert (a.status, a.unit_id) == (UserStatus.ACTIVE, one.id)
    assert (await session.scalars(select(AuditEntry))).all() == []


# Villages.
async def test_rename_a_village(session):
    _, _, one, _two, coordinator, *_ = await _setup(session)
    actor = await profile(session, coordinator)
    renamed = await people.rename_village(session, actor, one.id, "  Thôn   Một ")
    assert renamed.name == "Thôn Một"
    assert [h.id for h in await units.search(session, "thon mot")] == [one.id]
    for name, code in (("thon 2", "name_taken"), ("", "bad_name"), ("Thôn Một", "same_place")):
        with pytest.raises(PeopleError) as refused:
            await people.rename_village(session, actor, one.id, name)
        assert refused.value.code == code
    commune = await session.get(Unit, coordinator.unit_id)
    with pytest.raises(PeopleError) as not_village:
        await people.rename_village(session, actor, commune.id, "Xã Khác")
    assert not_village.value.code == "not_village"
    assert await _entries(session, "unit", one.id) == [
        ("rename", {"before": {"name": "Thôn 1"}, "after": {"name": "Thôn Một"}})
    ]


async def _rollups(session):
    return [
        sorted(map(tuple, (await session.execute(select(t.__table__))).all()), key=str)
        for t in (ActivityRollup, TopicRollup)
    ]


async def test_merge_moves_everything_and_keeps_the_totals(session):
    commune, province, one, two, coordinator, _, a, b = await _setup(session)
    await log(
        session,
        activity(one, a, date(2026, 10, 2), women=7),
        activity(two, b, date(2026, 10, 9), women=4, men=2),
        activity(two, b, date(2026, 11, 1), girls=3),
    )
    pending = await person(session, 30)
    submitted = await registration.submit(session, pending.id, Role.COLLABORATOR, two.id)
    session.add(
        Invite(
            code="abc",
            role=Role.COLLABORATOR,
            unit_id=two.id,
            created_by_id=coordinator.id,
            expires_at=NOW,
            max_uses=1,
        )
    )
    await session.flush()
    period = month_period(2026, 10)
    before = {
        unit.id: await summarize(session, areas.unit_area(unit), period, ZONE)
        for unit in (commune, province)
    }
    village_before = [
        (await summarize(session, areas.unit_area(v), period, ZONE)).counts for v in (one, two)
    ]
    kept_rollups = await _rollups(session)

    merged = await people.merge_villages(
        session, await profile(session, coordinator), one.id, two.id
    )
    assert merged.moved["activities.unit_id"] == 2
    assert merged.moved["users.unit_id"] == 1
    assert merged.moved["registration_requests.unit_id"] == 1
    assert merged.moved["invites.unit_id"] == 1
    await session.refresh(b)
    assert b.unit_id == one.id
    request = await session.get(RegistrationRequest, submitted.request.id)
    assert request.unit_id == one.id
    dropped = await session.get(Unit, two.id)
    assert not dropped.active
    assert [v.id for v in await units.children(session, commune.id)] == [one.id]
    # The old name is free: a village added by it later is a new, active one.
    again = await units.add_village(session, commune, "Thôn 2")
    assert again.id != two.id and again.active and again.code != two.code
    assert await areas.resolve(session, f"u{two.id}") is None
    # Commune and province figures do not move; the kept village has both.
    for unit in (commune, province):
        for fast in (True, False):
            after = await summarize(session, areas.unit_area(unit), period, ZONE, rollups=fast)
            assert after.counts == before[unit.id].counts
            assert after.by_kind == before[unit.id].by_kind
    village_after = (await summarize(session, areas.unit_area(one), period, ZONE)).counts
    assert village_after.sessions == village_before[0].sessions + village_before[1].sessions == 2
    assert village_after.total == village_before[0].total + village_before[1].total == 18
    assert await _rollups(session) == kept_rollups
    await rollups.rebuild(session)
    assert await _rollups(session) == kept_rollups
    history = await _entries(session, "unit", one.id)
    assert history[0][0] == "merge"
    assert history[0][1]["merged"] == {"id": two.id, "name": "Thôn 2", "code": two.code}
    assert await _entries(session, "unit", two.id) == [
        (
            "merged_into",
            {"before": {"active": True}, "after": {"active": False, "merged_into": one.id}},
        )
    ]


async def test_merge_needs_two_villages_of_one_commune(session):
    commune, _, one, two, coordinator, head, *_ = await _setup(session)
    other = await units.add_village(session, await place(session, "Phường Hoàn Kiếm"), "Tổ 1")
    neighbour_commune = next(
        c for c in await units.children(session, commune.parent_id) if c.id != commune.id
    )
    neighbour = await units.add_village(session, neighbour_commune, "Thôn 1")
    actor = await profile(session, coordinator)
    cases = (
        (actor, one.id, one.id, "same_village"),
        (actor, one.id, other.id, "not_allowed"),
        (actor, one.id, commune.id, "not_village"),
        (await profile(session, head), one.id, neighbour.id, "different_commune"),
    )
    for who, keep, drop, code in cases:
        with pytest.raises(PeopleError) as refused:
            await people.merge_villages(session, who, keep, drop)
        assert refused.value.code == code
    assert (await session.get(Unit, two.id)).active


async def test_merge_keeps_one_link_where_both_villages_had_one(session):
    _, _, one, two, coordinator, *_ = await _setup(session)
    both = TrustedAddress(name="Nhà tạm lánh", phones=[], services=[])
    only_two = TrustedAddress(name="Tổ hòa giải", phones=[], services=[])
    session.add_all([both, only_two])
    await session.flush()
    session.add_all(
        [
            TrustedAddressArea(address_id=both.id, unit_id=one.id),
            TrustedAddressArea(address_id=both.id, unit_id=two.id),
            TrustedAddressArea(address_id=only_two.id, unit_id=two.id),
        ]
    )
    await session.flush()
    merged = await people.merge_villages(
        session, await profile(session, coordinator), one.id, two.id
    )
    assert merged.moved["trusted_address_areas.unit_id"] == 1
    links = (
        await session.execute(
            select(TrustedAddressArea.address_id, TrustedAddressArea.unit_id).order_by(
                TrustedAddressArea.address_id
            )
        )
    ).all()
    assert [tuple(r) for r in links] == [(both.id, one.id), (only_two.id, one.id)]
