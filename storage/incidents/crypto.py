"""Encryption of confidential fields (mã hóa): AES-256-GCM with a key derived
from the bot's ``SECRET_KEY`` by HKDF-SHA256.

A token is ``v1.`` followed by URL-safe base64 of a random 96-bit nonce and
the ciphertext with its tag. The name of the field is authenticated with it,
so a value copied into another column does not decrypt. Without a secret key
there is no :class:`Cipher`, and nothing confidential can be accepted.

Old keys (``BINHDANG_OLD_SECRET_KEYS``) only decrypt: a value sealed under one
of them is read, and ``binhdang keys rotate`` seals it again under the
current key (:mod:`storage.incidents.keys`)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
_SALT = b"binhdang-bot/incidents"
_INFO = b"field-encryption/v1"
_NONCE = 12
MIN_SECRET_LENGTH = 16


class CipherError(Exception):
    """A token that cannot be decrypted: damaged, or made with another key."""


class Cipher:
    """Encrypts and decrypts the values of confidential fields."""

    def __init__(self, secret: str, old_secrets: Sequence[str] = ()) -> None:
        self._aead = _aead(secret)
        self._old = [_aead(s) for s in old_secrets if s and s != secret]

    @property
    def has_old_keys(self) -> bool:
        return bool(self._old)

    def current_only(self) -> Cipher:
        """The same key without the old ones: what reads a value only if it
        is sealed under the current key."""
        cipher = Cipher.__new__(Cipher)
        cipher._aead, cipher._old = self._aead, []
        return cipher

    def encrypt(self, field: str, plaintext: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), field.encode())
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, field: str, token: str) -> str:
        version, _, body = token.partition(".")
        if version != VERSION or not body:
            raise CipherError("unknown token format")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
        except ValueError as exc:
            raise CipherError("cannot decrypt") from exc
        for aead in (self._aead, *self._old):
            try:
                return aead.decrypt(raw[:_NONCE], raw[_NONCE:], field.encode()).decode()
            except (InvalidTag, ValueError):
                continue
        raise CipherError("cannot decrypt")

    def is_current(self, field: str, token: str) -> bool:
        """Whether the token is sealed under the current key."""
        try:
            self.current_only().decrypt(field, token)
        except CipherError:
            return False
        return True

    def encrypt_json(self, field: str, value: Any) -> str:
        return self.encrypt(field, json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, field: str, token: str) -> Any:
        return json.loads(self.decrypt(field, token))

    def maybe_encrypt(self, field: str, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(field, plaintext)

    def maybe_decrypt(self, field: str, token: str | None) -> str | None:
        return None if token is None else self.decrypt(field, token)


def _aead(secret: str) -> AESGCM:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the secret key needs at least {MIN_SECRET_LENGTH} characters")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())
    return AESGCM(key)


def cipher_from(secret: str | None, old_secrets: Sequence[str] = ()) -> Cipher | None:
    """The cipher for a configured secret (and the old ones it still reads);
    ``None`` when none is set (or it is too short to be one)."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return None
    return Cipher(secret, [s for s in old_secrets if len(s) >= MIN_SECRET_LENGTH])
