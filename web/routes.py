"""The dashboard's routes under ``/app/``. Each parses the request, calls the
storage function that does the work (the same as the bot's), and renders:
the JSON document, an HTML fragment, a file, or a medium streamed from the
Bot API."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from bot.services import Services
from handlers import completeness as nudges
from handlers.addresses import _problem_text
from handlers.export import file_name
from handlers.hotline import address_card
from scheduler import jobs
from scheduler import nudges as scheduler_nudges
from storage import dashboard, units
from storage import trusted_addresses as directory
from storage.models import ActivityKind, Indicator, Target, Topic, Unit, UnitLevel
from storage.reports import areas, charts, document, evidence, exports, targets
from storage.reports import completeness as storage_completeness
from storage.reports.areas import Area, AreaKind
from storage.reports.periods import (
    NAMED,
    Period,
    PeriodError,
    ReportCalendar,
    local_day,
    named_period,
    parse_month_day,
    parse_period,
)
from storage.reports.render import progress_figure, spec_name
from storage.reports.report import build_report
from storage.reports.targets import TargetError
from web import people, period_reports, render
from web.auth import (
    APPLICATION,
    COOKIE,
    SERVICES,
    TOKEN,
    Viewer,
    anonymous_t,
    refuse,
    services_of,
    signed,
    signed_viewer,
    viewer,
)

STATIC = ("app.js", "app.css")
EXPORTS = {"xlsx": "XLSX", "csv": "CSV", "png": "PNG", "json": "JSON"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "png": "image/png",
    "json": "application/json",
}
HTML = "text/html"


def add(app: web.Application, application: Any, services: Services) -> None:
    app[SERVICES] = services
    app[APPLICATION] = application
    app[TOKEN] = application.bot.token
    r = app.router
    r.add_get("/app", to_shell)
    r.add_get("/app/", shell)
    r.add_get("/app/static/{name}", static)
    r.add_get("/app/login/{secret}", login_page)
    r.add_post("/app/login/{secret}", login)
    r.add_get("/app/api/summary", api_summary)
    r.add_post("/app/api/nudge", api_nudge)
    r.add_get("/app/view/summary", view_summary)
    r.add_get("/app/view/completeness", view_completeness)
    r.add_get("/app/view/activities", view_activities)
    r.add_get("/app/view/targets", view_targets)
    r.add_post("/app/api/targets/set", api_target_set)
    r.add_post("/app/api/targets/remove", api_target_remove)
    r.add_get("/app/view/addresses", view_addresses)
    r.add_post("/app/api/addresses/save", api_address_save)
    r.add_post("/app/api/addresses/state", api_address_state)
    r.add_get("/app/media/{activity}/{which}", media)
    r.add_get("/app/export", export)
    people.add(app)
    period_reports.add(app)


# Pages that need no sign-in.
async def to_shell(request: web.Request) -> web.Response:
    raise web.HTTPFound("/app/")


async def shell(request: web.Request) -> web.Response:
    return _html(render.shell(anonymous_t(request)))


_static_cache: dict[str, bytes] = {}


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    if name not in _static_cache:
        _static_cache[name] = resources.files("web").joinpath("static", name).read_bytes()
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    return web.Response(
        body=_static_cache[name],
        content_type=kind,
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def login_page(request: web.Request) -> web.Response:
    """Opening a login link asks for one click: a link preview or a mail
    scanner fetches the page (GET) without using the link up."""
    return _html(render.login_page(anonymous_t(request)))


async def login(request: web.Request) -> web.Response:
    """A one-time login link: a session cookie and on to the dashboard, once."""
    services = services_of(request)
    async with services.sessions.begin() as session:
        opened = await dashboard.redeem_login_link(
            session, request.match_info["secret"], services.clock()
        )
    if opened is None:
        return _html(render.login_refused(anonymous_t(request)), status=401)
    answer = web.HTTPSeeOther("/app/")
    answer.set_cookie(
        COOKIE,
        opened.secret,
        max_age=int((opened.expires_at - services.clock()).total_seconds()),
        path="/app/",
        httponly=True,
        secure=request.secure or request.headers.get("X-Forwarded-Proto") == "https",
        samesite="Strict",
    )
    raise answer


# What is asked for: the area (403 outside the viewer's) and the period.
@dataclass(frozen=True)
class Scope:
    area: Area
    unit: str  # the area's code, as in the URL and the document
    period: Period
    chosen: str  # the period as asked (a name like ``this_month`` or a code)
    today: date


def _calendar(services: Services) -> ReportCalendar:
    return ReportCalendar(parse_month_day(services.settings.report_half_year_end))


async def scope(request: web.Request, seen: Viewer, session: AsyncSession) -> Scope:
    services = services_of(request)
    query = request.query if request.method == "GET" else await request.post()
    t = seen.t
    code = str(query.get("unit") or "").strip()
    if code:
        area = await areas.by_code(session, code)
        if area is None:
            raise refuse(request, 404, t("There is no unit with that code."))
    else:
        area = await areas.default_area(session, seen.profile)
        if area is None:
            raise refuse(
                request, 403, t("Only coordinators and administrators can use the dashboard.")
            )
    if not await areas.may_see(session, seen.profile, area):
        raise refuse(request, 403, t("You can only see your own area and the places under it."))
    today = local_day(services.clock(), services.settings.zone)
    chosen = str(query.get("period") or query.get("dates") or "this_month").strip()
    try:
        if chosen in NAMED:
            period = named_period(chosen, today, _calendar(services))
        else:
            period = parse_period(chosen, _calendar(services))
    except PeriodError:
        raise refuse(request, 400, t("I could not read that period.")) from None
    return Scope(area, await document.area_code(session, area), period, chosen, today)


async def _trail(session: AsyncSession, seen: Viewer, area: Area) -> list[tuple[str, str]]:
    """The viewer's way down to the area: (code, name) of each unit they cover."""
    trail: list[tuple[str, str]] = []
    if seen.profile.is_admin:
        trail.append(("VN", areas.COUNTRY.name))
    if area.kind is AreaKind.UNIT and area.id is not None:
        unit = await session.get(Unit, area.id)
        assert unit is not None
        for up in [*await units.ancestors(session, unit), unit]:
            if seen.profile.covers(up.path) and (up.code, up.name) not in trail:
                trail.append((up.code, up.name))
    elif area.kind is AreaKind.GROUP:
        trail.append((f"group:{area.id}", area.name))
    return trail


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, content_type=HTML, charset="utf-8", status=status)


# The document, and the pages.
async def api_summary(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        found = await document.summary_document(
            session, where.area, where.period, today=where.today, zone=services.settings.zone
        )
    return web.json_response(found, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def view_summary(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        found = await document.summary_document(
            session, where.area, where.period, today=where.today, zone=services.settings.zone
        )
        names = await document.unit_names(session, [row["unit"] for row in found["children"]])
        title = await areas.describe(session, where.area)
        trail = await _trail(session, seen, where.area)
        groups = []
        if where.area.level is UnitLevel.PROVINCE:
            # Groups of communes of this province (a former district, a cluster).
            for group in await areas.visible_groups(session, seen.profile):
                members = await areas.group_members(session, group.id or 0)
                if members and all(m.path.startswith(where.area.path) for m in members):
                    groups.append((f"group:{group.id}", group.name))
    base = f"/app/export?unit={where.unit}&period={where.period.code}"
    links = {label: signed(request, seen, f"{base}&format={f}") for f, label in EXPORTS.items()}
    return _html(
        render.summary_page(
            found,
            title=title,
            period=where.period,
            chosen=where.chosen,
            names=names,
            trail=trail,
            groups=groups,
            exports=links,
            t=t,
        )
    )


async def view_completeness(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        found = await storage_completeness.completeness(
            session, where.area, where.period, where.today, services.settings.zone
        )
        title = await areas.describe(session, where.area)
        trail = await _trail(session, seen, where.area)
    return _html(
        render.completeness_page(
            found, unit=where.unit, title=title, chosen=where.chosen, trail=trail, t=seen.t
        )
    )


async def api_nudge(request: web.Request) -> web.Response:
    """The one-tap reminder of /summary, for the silent collaborators of an area."""
    seen = await viewer(request)
    services = services_of(request)
    async with services.sessions() as session:
        where = await scope(request, seen, session)
    try:
        queued = await nudges.queue_nudges(services, where.area, where.period, seen.profile)
    except scheduler_nudges.NudgeRefused:
        t = seen.t
        return _message(t("You can only see your own area and the places under it."), 403)
    jobs.wake_sender(request.app[APPLICATION])
    return web.json_response({"queued": queued, "message": nudges.nudged_text(seen.t, queued)})


def _enum(kind: Any, value: str) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


async def view_activities(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    query = request.query
    filters = {k: query.get(k, "") for k in ("place", "kind", "topic", "reporter")}
    reporter = filters["reporter"]
    chosen = evidence.Filters(
        kind=_enum(ActivityKind, filters["kind"]),
        topic=_enum(Topic, filters["topic"]),
        reporter_id=int(reporter) if reporter.isdigit() and len(reporter) < 12 else None,
    )
    offset = int(query.get("offset", "0")) if query.get("offset", "0").isdigit() else 0
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        looked = where.area
        if filters["place"]:
            place = await areas.by_code(session, filters["place"])
            if place is None or not await areas.may_see(session, seen.profile, place):
                raise refuse(
                    request, 403, seen.t("You can only see your own area and the places under it.")
                )
            looked = place
        page = await evidence.activities(session, looked, where.period, chosen, offset=offset)
        places = [(u.code, u.name) for u in await areas.children(session, where.area)]
        title = await areas.describe(session, where.area)
    photos = {
        entry.id: [signed(request, seen, f"/app/media/{entry.id}/{i}") for i in range(entry.photos)]
        for entry in page.entries
    }
    voices = {
        entry.id: signed(request, seen, f"/app/media/{entry.id}/voice")
        for entry in page.entries
        if entry.voice
    }
    return _html(
        render.activities_page(
            page,
            unit=where.unit,
            title=title,
            chosen=where.chosen,
            period=where.period,
            filters=filters,
            places=places,
            media=photos,
            voices=voices,
            t=seen.t,
        )
    )


# Targets (the same functions as /targets).
async def view_targets(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        year = where.period.end.year
        own = await targets.targets_of(session, where.area, year)
        found = await targets.progress(
            session, where.area, year, min(where.today, date(year, 12, 31))
        )
        title = await areas.describe(session, where.area)
        trail = await _trail(session, seen, where.area)
    by_spec = {line.spec: line.area for line in found.lines}
    rows = []
    for target in own:
        spec = targets.Spec.of(target)
        reached = by_spec.get(spec)
        rows.append(
            (
                target.id,
                spec_name(spec, target.label, t),
                target.value,
                target.population,
                progress_figure(reached, t) if reached else "",
                reached.status if reached else targets.Status.NO_TARGET,
            )
        )
    return _html(
        render.targets_page(
            rows,
            unit=where.unit,
            title=title,
            chosen=where.chosen,
            year=year,
            trail=trail,
            t=t,
        )
    )


def _message(text: str, status: int = 200) -> web.Response:
    return web.json_response({"message": text}, status=status)


async def api_target_set(request: web.Request) -> web.Response:
    """Add a target, or change the value of one (audited in set_target). The
    form's fields are the CSV import's columns, read by the same
    ``targets.parse_row``: a budget of a funding source and a target that
    counts register entries are set here as in the file."""
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    form = await request.post()
    fields = {k: str(form.get(k) or "").strip() for k in (*targets.CSV_COLUMNS, "id")}
    async with services.sessions.begin() as session:
        where = await scope(request, seen, session)
        year = int(fields["year"]) if fields["year"].isdigit() else where.period.end.year
        area = where.area
        if fields["id"].isdigit():
            existing = await session.get(Target, int(fields["id"]))
            owner = await targets.owner_area(session, existing) if existing else None
            if existing is None or owner is None:
                return _message(t("That target is not there any more."), 404)
            area, year = owner, existing.year
            for name, value in (
                ("indicator", existing.indicator.value),
                ("kind", existing.activity_kind.value if existing.activity_kind else ""),
                ("topic", existing.topic.value if existing.topic else ""),
                ("field", existing.field.value if existing.field else ""),
                ("keyword", existing.keyword or ""),
                ("source", existing.funding_source.value if existing.funding_source else ""),
                ("register", existing.register_kind.value if existing.register_kind else ""),
            ):
                fields[name] = value
            if existing.population is not None and not fields["population"]:
                fields["population"] = str(existing.population)
        try:
            data = targets.parse_row(fields)
        except TargetError:
            return _message(t("Something in this target does not fit; check the values."), 400)
        try:
            await targets.set_target(session, seen.profile, area, year, data)
        except TargetError:
            return _message(t("You cannot set targets for that area."), 403)
    if data.indicator is Indicator.SHARE:
        shown = f"{t.percent(data.value / 100)} / {t.number(data.population or 0)}"
    elif data.indicator is Indicator.BUDGET:
        shown = t("{amount} đồng").format(amount=t.number(data.value))
    else:
        shown = t.number(data.value)
    name = spec_name(data.spec, data.label, t)
    return _message(t("Saved: {name}, target {value}.").format(name=name, value=shown))


async def api_target_remove(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    form = await request.post()
    target_id = str(form.get("id") or "")
    async with services.sessions.begin() as session:
        await scope(request, seen, session)
        removed = target_id.isdigit() and await targets.remove_target(
            session, seen.profile, int(target_id)
        )
    if not removed:
        return _message(seen.t("That target is not there any more."), 404)
    return _message(seen.t("Target removed."))


# The trusted-address directory (the same functions as /addresses).
async def view_addresses(request: web.Request) -> web.Response:
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    local = services.clock().astimezone(services.settings.zone)
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        path = None if where.area.kind is AreaKind.COUNTRY else where.area.path
        if where.area.kind is AreaKind.GROUP:
            found = []
            for member in await areas.group_members(session, where.area.id or 0):
                found.extend(await directory.in_area(session, member.path, include_inactive=True))
        else:
            found = await directory.in_area(session, path, include_inactive=True)
        title = await areas.describe(session, where.area)
        trail = await _trail(session, seen, where.area)
    now = services.clock()
    entries = [
        (
            view.id,
            address_card(t, view, local),
            view.name,
            view.address,
            ", ".join(view.phones),
            view.hours,
            view.active,
            view.stale(now),
        )
        for view in found
    ]
    can_add = where.area.level in (UnitLevel.COMMUNE, UnitLevel.VILLAGE)
    return _html(
        render.addresses_page(
            entries,
            unit=where.unit,
            title=title,
            chosen=where.chosen,
            can_add=can_add,
            trail=trail,
            t=t,
        )
    )


def _phones(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


async def api_address_save(request: web.Request) -> web.Response:
    """A new entry at the page's commune or village, or new text fields for
    an entry (its places, services, staff and location are kept)."""
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    form = await request.post()
    text = {k: str(form.get(k) or "").strip() for k in ("id", "name", "address", "phones", "hours")}
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            where = await scope(request, seen, session)
            if text["id"].isdigit():
                view = await directory.get(session, int(text["id"]))
                if view is None:
                    return _message(t("That trusted address is not there any more."), 404)
                data = directory.AddressData(
                    name=text["name"],
                    unit_ids=[u.id for u in view.units],
                    address=text["address"],
                    phones=_phones(text["phones"]),
                    hours=text["hours"],
                    services=list(view.services),
                    staff_ids=[s.user_id for s in view.staff],
                    latitude=view.latitude,
                    longitude=view.longitude,
                    active=view.active,
                )
                await directory.update(session, seen.profile, view.id, data, now)
            else:
                if where.area.level not in (UnitLevel.COMMUNE, UnitLevel.VILLAGE):
                    return _message(t("Choose at least one commune or village."), 400)
                data = directory.AddressData(
                    name=text["name"],
                    unit_ids=[where.area.id or 0],
                    address=text["address"],
                    phones=_phones(text["phones"]),
                    hours=text["hours"],
                )
                await directory.create(session, seen.profile, data, now)
    except directory.InvalidAddress as error:
        problems = "; ".join(_problem_text(t, c, d) for c, d in error.problems)
        return _message(t("Not saved yet:") + " " + problems, 400)
    except directory.NotAllowed:
        return _message(t("You can only see your own area and the places under it."), 403)
    return _message(t("Saved."))


async def api_address_state(request: web.Request) -> web.Response:
    """Confirm an entry, or deactivate or reactivate it."""
    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    form = await request.post()
    address_id, to = str(form.get("id") or ""), str(form.get("to") or "")
    if not address_id.isdigit() or to not in ("ok", "on", "off"):
        return _message(t("That trusted address is not there any more."), 404)
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            await scope(request, seen, session)
            if to == "ok":
                await directory.confirm(session, seen.profile, int(address_id), now)
            else:
                await directory.set_active(session, seen.profile, int(address_id), to == "on", now)
    except LookupError:
        return _message(t("That trusted address is not there any more."), 404)
    except directory.NotAllowed:
        return _message(t("You can only see your own area and the places under it."), 403)
    return _message(t("Saved."))


# Media and files.
async def media(request: web.Request) -> web.StreamResponse:
    """A photo or voice note of an activity, fetched from the Bot API and
    streamed on: the page never sees the bot's token or the file's address."""
    seen = await signed_viewer(request)
    services = services_of(request)
    activity = request.match_info["activity"]
    which = request.match_info["which"]
    if not activity.isdigit() or len(activity) > 12:
        raise web.HTTPNotFound()
    async with services.sessions() as session:
        file_id = await evidence.media_file_id(session, seen.profile, int(activity), which)
    if file_id is None:
        raise refuse(request, 404, seen.t("That photo or voice note is not there any more."))
    try:
        found = await request.app[APPLICATION].bot.get_file(file_id)
    except TelegramError:
        raise web.HTTPBadGateway(text=seen.t("Telegram did not give the file.")) from None
    url = str(found.file_path)
    async with aiohttp.ClientSession() as client, client.get(url) as upstream:
        if upstream.status != 200:
            raise web.HTTPBadGateway(text=seen.t("Telegram did not give the file."))
        first = await upstream.content.read(64 * 1024)
        kind = _media_type(first, which)
        answer = web.StreamResponse(
            headers={
                "Content-Type": kind,
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            }
        )
        if upstream.content_length is not None:
            answer.content_length = upstream.content_length
        await answer.prepare(request)
        await answer.write(first)
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            await answer.write(chunk)
        await answer.write_eof()
    return answer


def _media_type(head: bytes, which: str) -> str:
    """What the first bytes say (Telegram's photos are JPEG, voice notes Ogg)."""
    for magic, kind in (
        (b"\x89PNG", "image/png"),
        (b"\xff\xd8", "image/jpeg"),
        (b"OggS", "audio/ogg"),
    ):
        if head.startswith(magic):
            return kind
    return "audio/ogg" if which == "voice" else "image/jpeg"


async def export(request: web.Request) -> web.Response:
    """The files of ``binhdang report`` for the page's unit and period."""
    seen = await signed_viewer(request)
    services = services_of(request)
    fmt = request.query.get("format", "")
    if fmt not in EXPORTS:
        raise web.HTTPNotFound()
    settings = services.settings
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        if fmt == "json":
            found = await document.summary_document(
                session, where.area, where.period, today=where.today, zone=settings.zone
            )
            body = json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True).encode()
        else:
            report = await build_report(
                session,
                where.area,
                where.period,
                today=where.today,
                zone=settings.zone,
                with_children=fmt == "xlsx",
            )
            if fmt == "png":
                body = await asyncio.to_thread(
                    charts.render_png, report.summary, report.targets, seen.t
                )
            else:
                out = io.BytesIO()
                writer = exports.write_xlsx if fmt == "xlsx" else exports.write_csv
                await writer(session, report, out, seen.t)
                body = out.getvalue()
    name = file_name(where.area, where.period, fmt)
    return web.Response(
        body=body,
        headers={
            "Content-Type": CONTENT_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
