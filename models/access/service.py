"""API keys of service users: rotate one (an administrator's command) and check a presented key.

A key reads ``<user id>.<43 URL-safe characters>`` (256 random bits), so the user it belongs to is known
without a search; only its SHA-256 hash is stored. Until an administrator first rotates a service user's
key, the user logs in with the secret of its ``passwordEnv`` (doorflow/identity.py), checked by doorflow
and never by the engine; after a rotation only the newest key is accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doorflow import identity
from models import audit
from models.access.tables import ApiKey
from models.errors import InvalidInput


def service_user_ids() -> frozenset[str]:
    """The service users of other systems (``svc-*`` of the identity file): they log in with doorflow's secrets."""
    return frozenset(str(u["id"]) for u in identity.service_users())


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def user_of_key(key: str) -> str | None:
    """The user id a key names (``svc-shop.…``), or None for text that is not shaped like a key."""
    user, sep, secret = key.partition(".")
    return user if sep and user and len(secret) >= 32 else None


def rotate(session: Session, user_id: str, *, actor: str) -> str:
    """Give ``user_id`` a new key and return it (shown once); the previous key (or secret) stops working."""
    if user_id not in service_user_ids():
        known = "、".join(sorted(service_user_ids()))
        raise InvalidInput(("user_id",), f"{user_id} 不是服务用户：只有这些服务用户有 API 密钥：{known}")
    key = f"{user_id}.{secrets.token_urlsafe(32)}"
    row = session.get(ApiKey, user_id, with_for_update=True)
    if row is None:
        session.add(ApiKey(user_id=user_id, key_hash=key_hash(key), rotated_by=actor))
    else:
        row.key_hash, row.rotated_by = key_hash(key), actor
        row.rotated_at = session.scalars(select(func.now())).one()
    audit.record(session, actor=actor, action="api_key.rotated", entity="user", entity_id=user_id)
    return key


def verify(session: Session, user_id: str, secret: str) -> bool:
    """Whether ``secret`` logs ``user_id`` (a service user) in: its current key, or before any rotation its
    configured secret (``passwordEnv``). Constant-time comparisons; the engine is not asked."""
    if user_id not in service_user_ids():
        return False
    stored = session.scalars(select(ApiKey.key_hash).where(ApiKey.user_id == user_id)).first()
    if stored is not None:
        return hmac.compare_digest(stored, key_hash(secret))
    configured = identity.password(user_id)
    return bool(configured) and hmac.compare_digest(configured.encode(), secret.encode("utf-8", "surrogatepass"))
