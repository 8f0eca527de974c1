"""Figures the local plans ask for beyond sessions and participants: the
communication products handed out or put up (sản phẩm truyền thông), the
training classes by audience (đối tượng tập huấn), and what activities cost
by funding source and by unit (kinh phí theo nguồn, theo đơn vị). Counted from
the activities themselves (no rollup holds them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import (
    Activity,
    ActivityKind,
    ActivityProduct,
    FundingSource,
    ProductKind,
    TrainingAudience,
    Unit,
)
from storage.reports import areas
from storage.reports.areas import Area
from storage.reports.periods import Period
from storage.reports.rollups import PEOPLE
from storage.reports.tally import activity_rows, tally


@dataclass(frozen=True)
class ClassCount:
    """Training classes for one audience: classes and their participants."""

    classes: int
    participants: int


@dataclass
class PlanLines:
    products: dict[ProductKind, int] = field(default_factory=dict)  # catalogue order
    # Audience None: classes logged without naming it (before it was asked).
    classes: dict[TrainingAudience | None, ClassCount] = field(default_factory=dict)
    # Source None: a cost recorded without its source. Only activities with a cost count.
    costs: dict[FundingSource | None, int] = field(default_factory=dict)
    costs_by_child: dict[str, int] = field(default_factory=dict)  # child path → đồng

    @property
    def cost_total(self) -> int:
        return sum(self.costs.values())


async def plan_lines(
    session: AsyncSession, area: Area, period: Period, *, trainings: ClassCount | None = None
) -> PlanLines:
    """``trainings``: the area's training sessions and participants in the
    period, if the caller has them (the summary counts them by kind)."""
    query, _place, _child = activity_rows(area, period)
    # From the (few) product rows, each checked against its activity: joining
    # the other way reads every activity of the period.
    live = query.add_columns(Activity.id).where(Activity.id == ActivityProduct.activity_id)
    products = (
        select(ActivityProduct.product, func.sum(ActivityProduct.quantity))
        .where(live.exists())
        .group_by(ActivityProduct.product)
    )
    found = {p: int(n or 0) for p, n in (await session.execute(products)).all()}
    # Classes with their audience from the partial index ix_activities_audience;
    # those without (logged before the audience was asked) are the rest of
    # the training classes, which the rollups count.
    classes = (
        query.where(Activity.audience.is_not(None), Activity.kind == ActivityKind.TRAINING)
        .add_columns(Activity.audience, func.count(Activity.id), func.sum(Activity.total))
        .group_by(Activity.audience)
    )
    by_audience: dict[TrainingAudience | None, ClassCount] = {
        a: ClassCount(int(n), int(people or 0))
        for a, n, people in (await session.execute(classes)).all()
    }
    if trainings is None:
        rows = await tally(session, area, period, kind=ActivityKind.TRAINING, per_child=False)
        trainings = ClassCount(
            sum(r.sessions for r in rows), sum(r.people[PEOPLE.index("total")] for r in rows)
        )
    rest = ClassCount(
        trainings.classes - sum(c.classes for c in by_audience.values()),
        trainings.participants - sum(c.participants for c in by_audience.values()),
    )
    if rest.classes > 0:
        by_audience[None] = rest
    order: list[TrainingAudience | None] = [*TrainingAudience, None]
    # The few activities with a cost, from the partial index
    # ix_activities_costed: with the unit index usable, SQLite read every
    # activity of the area instead (a province's half-year: 24,000, 50 ms).
    place = aliased(Unit)
    costed = (
        select()
        .select_from(Activity)
        .join(place, place.id == Activity.unit_id)
        .where(
            Activity.deleted.is_(False),
            Activity.held_on >= period.start,
            Activity.held_on <= period.end,
            Activity.cost.is_not(None),
        )
    )
    costed, by = areas.scoped(costed, area, place, areas.unindexed(Activity.unit_id))
    spent = costed.add_columns(by, Activity.funding_source, func.sum(Activity.cost)).group_by(
        by, Activity.funding_source
    )
    by_source: dict[FundingSource | None, int] = {}
    by_child: dict[str, int] = {}
    for path, source, amount in (await session.execute(spent)).all():
        by_source[source] = by_source.get(source, 0) + int(amount or 0)
        by_child[str(path)] = by_child.get(str(path), 0) + int(amount or 0)
    sources: list[FundingSource | None] = [*FundingSource, None]
    return PlanLines(
        products={p: found[p] for p in ProductKind if found.get(p)},
        classes={a: by_audience[a] for a in order if a in by_audience},
        costs={s: by_source[s] for s in sources if s in by_source},
        costs_by_child=by_child,
    )
