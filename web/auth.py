"""Who is asking (người xem): a Telegram Mini App sends its ``initData`` as
``Authorization: tma <initData>``; an office browser has the session cookie
of a one-time login link. Either gives the user's
:class:`~storage.users.Profile`; what they may see is then decided by the
same storage functions as in the bot."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.i18n import Translator, translator
from bot.services import Services
from storage import dashboard, users
from storage.models import User
from storage.users import Profile
from web import initdata

COOKIE = "bd_session"
SERVICES: web.AppKey[Services] = web.AppKey("dash_services", Services)
APPLICATION: web.AppKey[Any] = web.AppKey("dash_application")
TOKEN: web.AppKey[str] = web.AppKey("dash_token", str)
MEDIA_LIFETIME_S = 3600


@dataclass(frozen=True)
class Viewer:
    profile: Profile
    t: Translator


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


def anonymous_t(request: web.Request) -> Translator:
    return translator(services_of(request).settings.default_language)


def refuse(request: web.Request, status: int, text: str) -> web.HTTPException:
    """An error answer: JSON for the API, a short page for the rest."""
    kinds: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
    }
    kind = kinds[status]
    if request.path.startswith("/app/api/"):
        body = json.dumps({"error": status, "message": text}, ensure_ascii=False)
        return kind(text=body, content_type="application/json")
    return kind(text=f'<p class="error">{html.escape(text)}</p>', content_type="text/html")


async def _profile(
    services: Services, telegram_id: int | None, user_id: int | None
) -> Profile | None:
    async with services.sessions() as session:
        if telegram_id is not None:
            user = await users.get_by_telegram_id(session, telegram_id)
        else:
            user = await session.get(User, user_id)
        return None if user is None else await users.profile_of(session, user)


async def viewer(request: web.Request) -> Viewer:
    """The coordinator behind the request; 401 without valid credentials,
    403 for someone who is not (or no longer) a coordinator."""
    services = services_of(request)
    now = services.clock()
    header = request.headers.get("Authorization", "")
    profile: Profile | None = None
    t = anonymous_t(request)
    if header[:4].lower() == "tma ":
        try:
            user = initdata.validate(
                header[4:].strip(),
                request.app[TOKEN],
                now,
                timedelta(seconds=services.settings.dashboard_auth_max_age),
            )
        except initdata.InitDataError as error:
            message = (
                t(
                    "This dashboard was opened too long ago. Close it and open it again from the bot."
                )
                if error.code == "expired"
                else t(
                    "The sign-in data from Telegram is not valid. Open the dashboard again from the bot."
                )
            )
            raise refuse(request, 401, message) from None
        profile = await _profile(services, user.telegram_id, None)
    elif header:
        raise refuse(request, 401, t("Unknown kind of sign-in."))
    else:
        secret = request.cookies.get(COOKIE, "")
        user_id = None
        if secret:
            async with services.sessions() as session:
                user_id = await dashboard.session_user(session, secret, now)
        if user_id is None:
            raise refuse(
                request,
                401,
                t(
                    "Please sign in: open the dashboard from the bot, or send /dashboard for a login link."
                ),
            )
        profile = await _profile(services, None, user_id)
    if profile is None or not profile.is_coordinator:
        raise refuse(request, 403, t("Only coordinators and administrators can use the dashboard."))
    return Viewer(profile, translator(profile.language))


# Links that carry their own permission: media and files, which a page asks
# for with an <img>, <audio> or a download (no header can be added), signed
# for the viewer who was shown the page, and checked again when fetched.
def _signature(key: str, path: str, user_id: int, expires: int) -> str:
    secret = hashlib.sha256(b"binhdang-dashboard-link:" + key.encode()).digest()
    return hmac.new(secret, f"{path}|{user_id}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed(request: web.Request, viewer: Viewer, path: str) -> str:
    """``path`` (with its query) plus the viewer's id, an expiry and a signature."""
    expires = int(services_of(request).clock().timestamp()) + MEDIA_LIFETIME_S
    sig = _signature(request.app[TOKEN], path, viewer.profile.id, expires)
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}u={viewer.profile.id}&x={expires}&s={sig}"


async def signed_viewer(request: web.Request) -> Viewer:
    """The viewer of a signed link (the signature covers the path and the
    other query parameters); 401 if it is forged or expired."""
    query = request.rel_url.query
    rest = [(k, v) for k, v in query.items() if k not in ("u", "x", "s")]
    path = request.path + ("?" + "&".join(f"{k}={v}" for k, v in rest) if rest else "")
    t = anonymous_t(request)
    try:
        user_id, expires = int(query.get("u", "")), int(query.get("x", ""))
    except ValueError:
        raise refuse(request, 401, t("This link is not valid.")) from None
    sig = _signature(request.app[TOKEN], path, user_id, expires)
    if expires < services_of(request).clock().timestamp() or not hmac.compare_digest(
        sig, query.get("s", "")
    ):
        raise refuse(request, 401, t("This link has expired. Reload the page."))
    profile = await _profile(services_of(request), None, user_id)
    if profile is None or not profile.is_coordinator:
        raise refuse(request, 403, t("Only coordinators and administrators can use the dashboard."))
    return Viewer(profile, translator(profile.language))
