"""Keys (issue 13): a wrong or changed key refuses to start; old keys read old
data; rotation seals everything under the new key, resumably; the retention
purge erases a closed report's personal fields and keeps its figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import cli
from bot.i18n import translator
from storage import incidents
from storage.db import make_engine, make_sessionmaker
from storage.incidents import Cipher, CipherError, keys, retention
from storage.migrate import upgrade
from storage.models import (
    AuditEntry,
    ContactMode,
    Incident,
    IncidentNote,
    IncidentStatus,
    KeyCheck,
)
from tests.storage.helpers import tra_bong
from tests.storage.test_incidents import NOW, POLICY, report

OLD = "the-old-secret-key-of-2025"
NEW = "the-new-secret-key-of-2026"


async def _file(sessions, box: Cipher, n: int) -> list[int]:
    async with sessions.begin() as session:
        commune, _ = await tra_bong(session)
        ids = []
        for i in range(n):
            done = await incidents.submit(
                session,
                box,
                report(commune.id, key=f"k{i}", phone="0905123456", contact=ContactMode.PHONE),
                NOW,
                POLICY,
                translator,
            )
            ids.append(done.incident_id)
            session.add(
                IncidentNote(
                    incident_id=done.incident_id,
                    from_reporter=True,
                    text_enc=box.encrypt("incident.note", f"thêm {i}"),
                    created_at=NOW,
                )
            )
    return ids


async def test_a_changed_key_is_refused_and_old_keys_read(sessions):
    async with sessions.begin() as session:
        await keys.verify(session, Cipher(OLD), NOW)  # the first start stores the check
    async with sessions.begin() as session:
        await keys.verify(session, Cipher(OLD), NOW)
        with pytest.raises(keys.KeyProblem, match="not the key"):
            await keys.verify(session, Cipher(NEW), NOW)
        with pytest.raises(keys.KeyProblem, match="not set"):
            await keys.verify(session, None, NOW)
        await keys.verify(session, Cipher(NEW, [OLD]), NOW)  # rotation pending: starts


async def test_a_database_from_before_the_check_is_checked_against_its_data(sessions):
    await _file(sessions, Cipher(OLD), 1)
    async with sessions.begin() as session:
        with pytest.raises(keys.KeyProblem, match="not the key"):
            await keys.verify(session, Cipher(NEW), NOW)
        with pytest.raises(keys.KeyProblem, match="not set"):
            await keys.verify(session, None, NOW)
        await keys.verify(session, Cipher(OLD), NOW)
        assert await session.get(KeyCheck, keys.CHECK_NAME) is not None


async def test_rotation_resumes_after_a_crash_and_frees_the_old_key(sessions):
    ids = await _file(sessions, Cipher(OLD), 5)
    async with sessions.begin() as session:
        await keys.verify(session, Cipher(OLD), NOW)
    both = Cipher(NEW, [OLD])

    class Crash(Exception):
        pass

    def crash_after_first_batch(done: int, total: int) -> None:
        assert total == 10  # 5 reports and 5 notes
        raise Crash

    with pytest.raises(Crash):
        await keys.rotate(sessions, both, NOW, batch=2, progress=crash_after_first_batch)
    async with sessions() as session:
        first = await session.get(Incident, ids[0])
        last = await session.get(Incident, ids[-1])
        assert Cipher(NEW).decrypt("incident.phone", first.phone_enc) == "0905123456"
        with pytest.raises(CipherError):  # not reached before the crash
            Cipher(NEW).decrypt("incident.phone", last.phone_enc)
        with pytest.raises(keys.KeyProblem):  # the check is sealed again only at the end
            await keys.verify(session, Cipher(NEW), NOW)
    steps: list[tuple[int, int]] = []
    done = await keys.rotate(
        sessions, both, NOW, batch=2, progress=lambda d, t: steps.append((d, t))
    )
    assert steps[-1] == (10, 10) and done.unreadable == 0
    # What the crashed run had not sealed: 3 reports (description, phone) and 5 notes.
    assert done.sealed == 3 * 2 + 5
    again = await keys.rotate(sessions, both, NOW)
    assert again.sealed == 0
    new_only = Cipher(NEW)
    async with sessions.begin() as session:
        await keys.verify(session, new_only, NOW)
        for incident in (await session.scalars(select(Incident))).all():
            assert new_only.decrypt("incident.description", incident.description_enc)
            assert new_only.decrypt("incident.phone", incident.phone_enc) == "0905123456"
        for note in (await session.scalars(select(IncidentNote))).all():
            assert new_only.decrypt("incident.note", note.text_enc).startswith("thêm")
        with pytest.raises(keys.KeyProblem):
            await keys.verify(session, Cipher(OLD), NOW)


async def test_retention_erases_personal_fields_and_keeps_the_figures(sessions):
    old, recent, still_open = await _file(sessions, Cipher(OLD), 3)
    async with sessions.begin() as session:
        for incident_id, closed in ((old, NOW), (recent, NOW + timedelta(days=400))):
            incident = await session.get(Incident, incident_id)
            incident.status, incident.closed_at = IncidentStatus.CLOSED, closed
    later = NOW + timedelta(days=366)
    async with sessions.begin() as session:
        assert await retention.purge_all(session, later, timedelta(days=365)) == 1
        assert await retention.purge_all(session, later, timedelta(days=365)) == 0
    async with sessions() as session:
        purged = await session.get(Incident, old)
        assert purged.purged_at == later and purged.status is IncidentStatus.CLOSED
        assert (purged.description_enc, purged.phone_enc, purged.location_enc) == (None,) * 3
        assert purged.kind is not None and purged.unit_id and purged.reported_at == NOW
        note = await session.scalar(select(IncidentNote).where(IncidentNote.incident_id == old))
        assert note.text_enc is None
        for kept in (recent, still_open):
            assert (await session.get(Incident, kept)).phone_enc is not None
        trail = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity_id == old, AuditEntry.action == "purged")
        )
        assert trail is not None and trail.actor_id is None


def test_the_command_line_refuses_a_wrong_key_with_one_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("BINHDANG_DATABASE_URL", url)
    monkeypatch.delenv("BINHDANG_BOT_TOKEN", raising=False)
    monkeypatch.setenv("BINHDANG_SECRET_KEY", OLD)

    async def first_start() -> None:
        engine = make_engine(url)
        await upgrade(engine)
        async with make_sessionmaker(engine).begin() as session:
            await keys.verify(session, Cipher(OLD), NOW)
        await engine.dispose()

    asyncio.run(first_start())
    assert cli.main(["run"]) == cli.EXIT_USAGE  # the right key: on to the missing token
    capsys.readouterr()
    monkeypatch.setenv("BINHDANG_SECRET_KEY", NEW)
    assert cli.main(["run"]) == 1
    assert cli.main(["chat"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"binhdang: {keys.WRONG_KEY}"] * 2
    monkeypatch.setenv("BINHDANG_OLD_SECRET_KEYS", OLD)
    assert cli.main(["keys", "rotate"]) == 0
    assert "sealed under the current key" in capsys.readouterr().out
    monkeypatch.delenv("BINHDANG_OLD_SECRET_KEYS")
    assert cli.main(["run"]) == cli.EXIT_USAGE
