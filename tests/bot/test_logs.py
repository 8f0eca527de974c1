"""bot/logs.py: what libraries and errors log is redacted where records are made."""

from __future__ import annotations

import logging

from bot import logs


def test_library_arguments_are_redacted_and_method_names_kept(caplog):
    logs.install()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("telegram.ext.ExtBot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 1001, "text": "Số của tôi 0905123456"},
    )
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", [17, 18])
    assert "Calling Bot API endpoint `sendMessage` with parameters `<dict>`" in caplog.text
    assert "Processing update [17, 18]" in caplog.text
    assert "0905123456" not in caplog.text


def test_exception_messages_lose_sql_parameters_and_the_token(caplog):
    logs.install()
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(
            "(sqlite3.IntegrityError) UNIQUE failed\n[SQL: INSERT INTO users]\n"
            "[parameters: ('Nguyễn Thị Lan', 'lan_ng')]\n"
            "url https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/x"
        )
    except RuntimeError:
        logging.getLogger("handlers.common").exception("unhandled error for update %s", 5)
    assert "unhandled error for update 5" in caplog.text
    assert "RuntimeError" in caplog.text and "[parameters withheld]" in caplog.text
    assert "Nguyễn" not in caplog.text and "AAHdqTcv" not in caplog.text
