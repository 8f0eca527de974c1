"""The dashboard's targets page sets a budget of a funding source and a
target that counts register entries, read by the CSV import's own
``targets.parse_row`` (once CSV only); changing its value keeps its source
or register (issue 16)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import FundingSource, Indicator, RegisterKind, Target
from tests.web.conftest import COMMUNE, World


async def test_budget_and_register_targets_are_set_on_the_page(world: World, client):
    async def post(**data: str) -> tuple[int, dict]:
        async with client.post(
            f"{world.url}/app/api/targets/set", data=data, headers=world.headers(COMMUNE)
        ) as r:
            return r.status, await r.json()

    unit = world.commune.code
    async with client.get(
        f"{world.url}/app/view/targets",
        params={"unit": unit, "period": "2026"},
        headers=world.headers(COMMUNE),
    ) as r:
        page = await r.text()
    assert '<select name="source">' in page and '<select name="register">' in page
    assert f'value="{FundingSource.LOCAL_BUDGET.value}"' in page
    status, answer = await post(
        unit=unit, year="2026", indicator="budget", source="nsdp", value="50000000"
    )
    assert status == 200, answer
    assert "50.000.000 đồng" in answer["message"]
    status, _ = await post(
        unit=unit, year="2026", indicator="renewed", register="trusted_address", value="4"
    )
    assert status == 200
    # A register target without its register, or a source on a count: refused.
    for wrong in (
        {"indicator": "renewed", "value": "4"},
        {"indicator": "sessions", "source": "nsdp", "value": "4"},
        {"indicator": "budget", "source": "bogus", "value": "4"},
    ):
        status, _ = await post(unit=unit, year="2026", **wrong)
        assert status == 400, wrong
    async with world.bot.services.sessions() as session:
        found = (await session.scalars(select(Target).order_by(Target.id))).all()
    assert [(t.indicator, t.funding_source, t.register_kind, t.value) for t in found] == [
        (Indicator.BUDGET, FundingSource.LOCAL_BUDGET, None, 50_000_000),
        (Indicator.RENEWED, None, RegisterKind.TRUSTED_ADDRESS, 4),
    ]
    # Changing a value on the page keeps the source and the register.
    for target, value in ((found[0], "60000000"), (found[1], "5")):
        status, _ = await post(unit=unit, year="2026", id=str(target.id), value=value)
        assert status == 200
    async with world.bot.services.sessions() as session:
        again = (await session.scalars(select(Target).order_by(Target.id))).all()
    assert [(t.id, t.funding_source, t.register_kind, t.value) for t in again] == [
        (found[0].id, FundingSource.LOCAL_BUDGET, None, 60_000_000),
        (found[1].id, None, RegisterKind.TRUSTED_ADDRESS, 5),
    ]
