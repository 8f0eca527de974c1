"""The People page (nhân sự): pending registration requests, approved or
rejected; the people under the unit, deactivated, moved or given another
role; the villages of a commune, renamed or merged. Every action is one
function of ``storage.people`` (the same as ``/people`` in the bot), which
decides the permission and audits the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.i18n import Translator
from handlers.approval import TEXTS
from handlers.common import role_name
from handlers.people.texts import refusal, status_name
from scheduler import jobs
from storage import people, registration, units
from storage.models import Role, Unit, UnitLevel, UserStatus
from storage.reports import areas
from storage.reports.areas import AreaKind
from web.auth import APPLICATION, Viewer, refuse, services_of, viewer
from web.render import crumbs, e, link, tabs


# Rendering.
def people_page(
    *,
    unit: str,
    chosen: str,
    title: str,
    trail: Sequence[tuple[str, str]],
    pending: Sequence[people.PendingRequest],
    found: people.PeoplePage,
    places: Sequence[tuple[str, str]],
    roles: Sequence[Role],
    villages: Sequence[Unit],
    t: Translator,
) -> str:
    heading_requests, heading_people = t("Pending registration requests"), t("People")
    approve, reject = t("Approve"), t("Reject")
    move, give_role = t("Move"), t("Change the role")
    deactivate, reactivate = t("Deactivate"), t("Reactivate")
    none_pending = t("No request is waiting.")
    heading_villages, rename, merge = t("Villages"), t("Rename"), t("Merge into")
    last_seen = t("Last session: {date}")
    never = t("No session logged yet")
    hidden = f'<input type="hidden" name="unit" value="{e(unit)}">'
    out = [
        f'<section class="page" data-unit="{e(unit)}" data-period="{e(chosen)}">',
        tabs("people", unit, chosen, t),
        crumbs(trail, "people", chosen),
        f"<h1>{e(title)}</h1><h2>{e(heading_requests)}</h2>",
    ]
    if not pending:
        out.append(f'<p class="hint">{e(none_pending)}</p>')
    for request in pending:
        name = request.display_name + (f" (@{request.username})" if request.username else "")
        out.append(
            f'<div class="request" data-request="{request.id}"><p><b>{e(name)}</b> · '
            f"{e(role_name(t, request.role))} · {e(request.place)}</p>"
            f'<form data-post="/app/api/people/decide" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{e(request.public_id)}"><input type="hidden" name="approve" value="y">'
            f'<button class="approve">{e(approve)}</button></form>'
            f'<form data-post="/app/api/people/decide" class="inline">{hidden}'
            f'<input type="hidden" name="id" value="{e(request.public_id)}"><input type="hidden" name="approve" value="n">'
            f'<button class="secondary">{e(reject)}</button></form></div>'
        )
    out.append(f"<h2>{e(heading_people)} ({e(t.number(found.total))})</h2>")
    place_options = "".join(f'<option value="{e(c)}">{e(n)}</option>' for c, n in places)
    for person in found.people:
        seen = (
            last_seen.format(date=t.date(person.last_activity)) if person.last_activity else never
        )
        row = [
            f'<article class="person" data-person="{person.id}"><p><b>{e(person.display_name)}</b> · '
            f"{e(role_name(t, person.role))} · {e(person.place)} · {e(status_name(t, person.status))}"
            f'<br><span class="hint">{e(seen)}</span></p>'
        ]
        if person.can_manage:
            toggle = (
                (deactivate, "off") if person.status is UserStatus.ACTIVE else (reactivate, "on")
            )
            role_options = "".join(
                f'<option value="{r.value}"{" selected" if r is person.role else ""}>{e(role_name(t, r))}</option>'
                for r in roles
            )
            person_id = f'<input type="hidden" name="id" value="{person.id}">'
            row.append(
                f'<form data-post="/app/api/people/move" class="inline move">{hidden}{person_id}'
                f'<select name="place">{place_options}</select><button>{e(move)}</button></form>'
                f'<form data-post="/app/api/people/role" class="inline">{hidden}{person_id}'
                f'<select name="role">{role_options}</select><button>{e(give_role)}</button></form>'
                f'<form data-post="/app/api/people/state" class="inline">{hidden}{person_id}'
                f'<input type="hidden" name="to" value="{toggle[1]}">'
                f'<button class="secondary">{e(toggle[0])}</button></form>'
            )
        row.append("</article>")
        out.append("".join(row))
    if found.offset + found.limit < found.total or found.offset > 0:
        more = []
        if found.offset > 0:
            back = str(max(found.offset - found.limit, 0))
            more.append(link("people", t("◀ Newer"), unit=unit, period=chosen, offset=back))
        if found.offset + found.limit < found.total:
            on = str(found.offset + found.limit)
            more.append(link("people", t("Older ▶"), unit=unit, period=chosen, offset=on))
        out.append(f'<p class="pager">{" ".join(more)}</p>')
    if villages:
        out.append(f"<h2>{e(heading_villages)}</h2>")
        for village in villages:
            others = "".join(
                f'<option value="{v.id}">{e(v.name)}</option>'
                for v in villages
                if v.id != village.id  # merged into itself: refused anyway
            )
            village_id = f'<input type="hidden" name="id" value="{village.id}">'
            merge_form = (
                f'<form data-post="/app/api/villages/merge" class="inline">{hidden}{village_id}'
                f'<select name="keep">{others}</select><button class="secondary">{e(merge)}</button>'
                "</form>"
                if others
                else ""
            )
            out.append(
                f'<div class="village" data-village="{village.id}">'
                f'<form data-post="/app/api/villages/rename" class="inline">{hidden}{village_id}'
                f'<input name="name" value="{e(village.name)}" maxlength="{people.MAX_VILLAGE_NAME}">'
                f"<button>{e(rename)}</button></form>{merge_form}</div>"
            )
    out.append("</section>")
    return "".join(out)


# Routes.
def add(app: web.Application) -> None:
    r = app.router
    r.add_get("/app/view/people", view_people)
    r.add_post("/app/api/people/decide", api_decide)
    r.add_post("/app/api/people/state", api_state)
    r.add_post("/app/api/people/move", api_move)
    r.add_post("/app/api/people/role", api_role)
    r.add_post("/app/api/villages/rename", api_rename)
    r.add_post("/app/api/villages/merge", api_merge)


def _number(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


async def view_people(request: web.Request) -> web.Response:
    from web.routes import _html, _trail, scope

    seen = await viewer(request)
    services = services_of(request)
    t = seen.t
    offset = _number(request.query.get("offset")) or 0
    async with services.sessions() as session:
        where = await scope(request, seen, session)
        if where.area.kind is AreaKind.GROUP:
            raise refuse(request, 404, t("There is no unit with that code."))
        unit_id = where.area.id
        try:
            pending = await people.pending_requests(
                session, seen.profile, services.clock(), unit_id
            )
            found = await people.list_people(session, seen.profile, unit_id, offset=offset)
            villages: list[Unit] = []
            if where.area.level is UnitLevel.COMMUNE and unit_id is not None:
                villages = await people.villages(session, seen.profile, unit_id)
        except people.PeopleError as error:
            raise refuse(request, 403, refusal(t, error.code)) from None
        places: list[tuple[str, str]] = []
        if where.area.kind is AreaKind.UNIT and where.area.level is not UnitLevel.VILLAGE:
            unit = await session.get(Unit, unit_id)
            assert unit is not None
            places.append((unit.code, unit.name))
            places += [(u.code, u.name) for u in await areas.children(session, where.area)]
        title = await areas.describe(session, where.area)
        trail = await _trail(session, seen, where.area)
    rank = seen.profile.role.rank if seen.profile.role else 0
    roles = [r for r in people.ROLE_LEVELS if seen.profile.is_admin or r.rank < rank]
    return _html(
        people_page(
            unit=where.unit,
            chosen=where.chosen,
            title=title,
            trail=trail,
            pending=pending,
            found=found,
            places=places,
            roles=roles,
            villages=villages,
            t=t,
        )
    )


async def _act(request: web.Request, action: Any) -> web.Response:
    """Run one people use-case in a transaction, under the page's scope;
    its refusal is said in the viewer's language."""
    from web.routes import _message, scope

    seen = await viewer(request)
    services = services_of(request)
    form = await request.post()
    try:
        async with services.sessions.begin() as session:
            await scope(request, seen, session)
            text = await action(session, seen, form)
    except people.PeopleError as error:
        status = 404 if error.code == "not_found" else 400
        if error.code in ("not_allowed", "role_too_high"):
            status = 403
        return _message(refusal(seen.t, error.code), status)
    return _message(text)


async def api_decide(request: web.Request) -> web.Response:
    """Approve or reject a request: the same use-case as the bot's buttons
    (:func:`storage.approvals.decide`), which queues the applicant's answer
    and the other approvers' updates through the outbox."""
    decided: list[bool] = []
    services = services_of(request)

    async def action(session: Any, seen: Viewer, form: Any) -> str:
        t = seen.t
        public_id = str(form.get("id") or "")
        if not public_id or len(public_id) > 24:
            raise people.PeopleError("not_found")
        decision = await people.decide_request(
            session, seen.profile, public_id, form.get("approve") == "y", services.clock(), TEXTS
        )
        outcome = decision.outcome
        if outcome is registration.Outcome.NOT_FOUND:
            raise people.PeopleError("not_found")
        if outcome is registration.Outcome.NOT_ALLOWED:
            raise people.PeopleError("not_allowed")
        if outcome is registration.Outcome.ALREADY_DECIDED:
            name = decision.decided_by.display_name if decision.decided_by else "?"
            return t("This request was already decided by {name}.").format(name=name)
        decided.append(True)
        approved = outcome is registration.Outcome.APPROVED
        return t("✅ Approved.") if approved else t("❌ Rejected.")

    answer = await _act(request, action)
    if decided:
        jobs.wake_sender(request.app[APPLICATION])
    return answer


async def api_state(request: web.Request) -> web.Response:
    async def action(session: Any, seen: Viewer, form: Any) -> str:
        user_id = _number(form.get("id"))
        if user_id is None:
            raise people.PeopleError("not_found")
        if form.get("to") == "on":
            await people.reactivate(session, seen.profile, user_id)
            return seen.t("Reactivated.")
        await people.deactivate(session, seen.profile, user_id)
        return seen.t("Deactivated.")

    return await _act(request, action)


async def api_move(request: web.Request) -> web.Response:
    async def action(session: Any, seen: Viewer, form: Any) -> str:
        user_id = _number(form.get("id"))
        target = await units.get_by_code(session, str(form.get("place") or ""))
        if user_id is None or target is None:
            raise people.PeopleError("not_found")
        person = await people.move_person(session, seen.profile, user_id, target.id)
        return seen.t("{name} is now {role} at {place}.").format(
            name=person.display_name, role=role_name(seen.t, person.role), place=person.place
        )

    return await _act(request, action)


async def api_role(request: web.Request) -> web.Response:
    async def action(session: Any, seen: Viewer, form: Any) -> str:
        user_id = _number(form.get("id"))
        try:
            role = Role(str(form.get("role") or ""))
        except ValueError:
            raise people.PeopleError("role_too_high") from None
        if user_id is None:
            raise people.PeopleError("not_found")
        person = await people.change_role(session, seen.profile, user_id, role)
        return seen.t("{name} is now {role}.").format(
            name=person.display_name, role=role_name(seen.t, person.role)
        )

    return await _act(request, action)


async def api_rename(request: web.Request) -> web.Response:
    async def action(session: Any, seen: Viewer, form: Any) -> str:
        village_id = _number(form.get("id"))
        if village_id is None:
            raise people.PeopleError("not_found")
        village = await people.rename_village(
            session, seen.profile, village_id, str(form.get("name") or "")
        )
        return seen.t("Renamed: {name}.").format(name=village.name)

    return await _act(request, action)


async def api_merge(request: web.Request) -> web.Response:
    async def action(session: Any, seen: Viewer, form: Any) -> str:
        drop, keep = _number(form.get("id")), _number(form.get("keep"))
        if drop is None or keep is None:
            raise people.PeopleError("not_found")
        merged = await people.merge_villages(session, seen.profile, keep, drop)
        return seen.t("{dropped} is merged into {kept}.").format(
            dropped=merged.dropped.name, kept=merged.kept.name
        )

    return await _act(request, action)
