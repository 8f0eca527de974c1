"""Encryption of confidential fields (mã hóa): AES-256-GCM with a key derived
from the bot's ``SECRET_KEY`` by HKDF-SHA256.

A token is ``v1.`` followed by URL-safe base64 of a random 96-bit nonce and
the ciphertext with its tag. The name of the field is authenticated with it,
so a value copied into another column does not decrypt. Without a secret key
there is no :class:`Cipher`, and nothing confidential can be accepted."""

from __future__ import annotations

import base64
import json
import os
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

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the secret key needs at least {MIN_SECRET_LENGTH} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            secret.encode()
        )
        self._aead = AESGCM(key)

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
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], field.encode())
        except (InvalidTag, ValueError) as exc:
            raise CipherError("cannot decrypt") from exc
        return plain.decode()

    def encrypt_json(self, field: str, value: Any) -> str:
        return self.encrypt(field, json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def decrypt_json(self, field: str, token: str) -> Any:
        return json.loads(self.decrypt(field, token))

    def maybe_encrypt(self, field: str, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(field, plaintext)

    def maybe_decrypt(self, field: str, token: str | None) -> str | None:
        return None if token is None else self.decrypt(field, token)


def cipher_from(secret: str | None) -> Cipher | None:
    """The cipher for a configured secret; ``None`` when none is set (or it is
    too short to be one)."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return None
    return Cipher(secret)
