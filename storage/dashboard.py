"""Sign-ins to the dashboard from an office browser: ``/dashboard`` gives a
one-time login link (valid :data:`LINK_LIFETIME`, usable once); opening it
starts a browser session (cookie, :data:`SESSION_LIFETIME`). Secrets are
random, shown once, and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import DashboardLogin, DashboardSession

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
ENTITY = "dashboard"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class BrowserSession:
    secret: str  # for the cookie; not stored
    user_id: int
    expires_at: datetime


async def create_login_link(session: AsyncSession, user_id: int, now: datetime) -> str:
    """A new one-time secret for ``user_id``; the caller puts it in a URL."""
    await purge_expired(session, now)
    secret = secrets.token_urlsafe(32)
    session.add(
        DashboardLogin(
            token_hash=_hash(secret),
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    await session.flush()
    return secret


async def redeem_login_link(
    session: AsyncSession, secret: str, now: datetime
) -> BrowserSession | None:
    """Use a login link: a new browser session, or ``None`` when the link is
    unknown, expired or already used. The UPDATE claims the link, so two
    browsers opening it at once cannot both win."""
    if not secret or len(secret) > 100:
        return None
    claimed = await session.execute(
        update(DashboardLogin)
        .where(
            DashboardLogin.token_hash == _hash(secret),
            DashboardLogin.used_at.is_(None),
            DashboardLogin.expires_at > now,
        )
        .values(used_at=now)
        .returning(DashboardLogin.id, DashboardLogin.user_id)
    )
    row = claimed.first()
    if row is None:
        return None
    login_id, user_id = row
    opened = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    session.add(
        DashboardSession(
            token_hash=_hash(opened), user_id=user_id, created_at=now, expires_at=expires
        )
    )
    await audit.record(session, user_id, ENTITY, login_id, "browser_login", {}, at=now)
    return BrowserSession(opened, user_id, expires)


async def session_user(session: AsyncSession, secret: str, now: datetime) -> int | None:
    """The user of a live browser session, or ``None``."""
    if not secret or len(secret) > 100:
        return None
    return await session.scalar(
        select(DashboardSession.user_id).where(
            DashboardSession.token_hash == _hash(secret), DashboardSession.expires_at > now
        )
    )


async def end_session(session: AsyncSession, secret: str) -> None:
    await session.execute(
        delete(DashboardSession).where(DashboardSession.token_hash == _hash(secret))
    )


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Forget used or expired links and expired sessions."""
    gone = 0
    for statement in (
        delete(DashboardLogin).where(
            (DashboardLogin.expires_at <= now) | DashboardLogin.used_at.is_not(None)
        ),
        delete(DashboardSession).where(DashboardSession.expires_at <= now),
    ):
        result = await session.execute(statement)
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone
