"""Password hashing (argon2id via argon2-cffi) and the password policy.

Hashes carry their own parameters, so raising the cost later only needs ``needs_rehash`` at the next login.
Production hashes with argon2-cffi's default profile (RFC 9106 low-memory: argon2id, t=3, m=64 MiB, p=4);
the test suite switches to the library's cheapest profile with ``use_parameters``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # longer input is refused before hashing (no free CPU for a flood of huge bodies)

PRODUCTION_PARAMETERS = profiles.RFC_9106_LOW_MEMORY  # also PasswordHasher()'s default

_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)


def use_parameters(parameters: Parameters) -> None:
    """Hash new passwords with ``parameters`` from now on (tests use ``profiles.CHEAPEST``).

    Existing hashes keep verifying whatever they were made with; ``needs_rehash`` flags those that differ.
    """
    global _hasher
    _hasher = PasswordHasher.from_parameters(parameters)
    _dummy_hash.cache_clear()  # unknown users must cost what a real user's check costs


class PasswordPolicyError(ValueError):
    """The password breaks a rule; the message is Japanese and safe to show."""


def check_password_policy(password: str, username: str) -> None:
    """Raise PasswordPolicyError unless ``password`` is long enough and not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"パスワードは{MAX_PASSWORD_LENGTH}文字以内にしてください。")
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordPolicyError("ユーザー名と同じパスワードは使えません。")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (random salt, parameters encoded in the string)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; a malformed hash simply does not match."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username takes as long as a wrong password."""
    verify_password(_dummy_hash(), password)
