"""The API keys of service users (``svc-*``): one current key per user, only its SHA-256 hash stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class ApiKey(Base):
    __tablename__ = "api_keys"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 (hex) of the whole key: a key is 256 random bits, so a fast hash is enough and nothing else is kept.
    key_hash: Mapped[str] = mapped_column(String(64))
    rotated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rotated_by: Mapped[str] = mapped_column(String(120))
