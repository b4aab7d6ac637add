"""One settings object for every doorflow process, read from the environment (prefix ``DOORFLOW_``).

Every "[X]" of the factory policies that the walking skeleton needs lives here, never as a literal.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# The Camunda release the diagrams target and docker-compose runs (camunda/camunda image).
CAMUNDA_VERSION = "8.9.17"
# The Camunda distribution the local (no-Docker) engine runs: the newest whose archive
# Maven Central serves to this project's machines. See README "Engine versions".
LOCAL_ENGINE_VERSION = "8.6.0"


class Settings(BaseSettings):
    """Configuration for the API, the workers and the local stack."""

    model_config = SettingsConfigDict(env_prefix="DOORFLOW_", env_file=".env", extra="ignore", populate_by_name=True)

    # Store
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of PostgreSQL; unset starts an embedded PostgreSQL.",
        validation_alias="DATABASE_URL",
    )
    state_dir: Path = Field(default=ROOT / ".doorflow", description="Data, logs and caches outside git.")

    # Engine (Zeebe gateway) addresses
    zeebe_address: str = Field(default="127.0.0.1:26500", validation_alias="ZEEBE_ADDRESS")
    camunda_rest_url: str = Field(default="http://127.0.0.1:8080", validation_alias="CAMUNDA_REST_ADDRESS")
    camunda_management_url: str = "http://127.0.0.1:9600"
    # OAuth client credentials for a secured cluster; empty means an unprotected local engine.
    zeebe_client_id: str = Field(default="", validation_alias="ZEEBE_CLIENT_ID")
    zeebe_client_secret: str = Field(default="", validation_alias="ZEEBE_CLIENT_SECRET")
    zeebe_authorization_server_url: str = Field(default="", validation_alias="ZEEBE_AUTHORIZATION_SERVER_URL")
    zeebe_token_audience: str = Field(default="", validation_alias="ZEEBE_TOKEN_AUDIENCE")
    engine_request_timeout_s: float = 10.0
    engine_records_file: Path | None = Field(
        default=None, description="Record log of the local engine; feeds the task inbox when Tasklist is absent."
    )

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    # Workers
    worker_name: str = "doorflow-worker"
    job_timeout_ms: int = 30_000
    retry_backoff_base_ms: int = Field(default=2_000, description="First retry back-off; doubles per failed try.")
    retry_backoff_max_ms: int = 300_000

    # Business configuration ([X] values of the policies)
    order_max_door_width_mm: int = Field(default=3_000, description="Widest door opening the factory builds.")
    order_max_door_height_mm: int = Field(default=4_000, description="Tallest door opening the factory builds.")
    order_max_quantity_per_line: int = 500

    # Payment collection (policy 003 §2.5, §3.3)
    factory_utc_offset: str = Field(
        default="+08:00",
        pattern=r"^[+-]\d{2}:\d{2}$",
        description="UTC offset of the factory's local time; due dates are local calendar days.",
    )
    collection_notice_days_before_due: int = Field(
        default=7, ge=0, description="Days before an installment's due date that the settlement notice goes out."
    )
    collection_notice_time: str = Field(
        default="09:00",
        pattern=r"^\d{2}:\d{2}$",
        description="Local time of day (HH:MM) the settlement notice is sent.",
    )
    collection_payment_message_ttl_s: int = Field(
        default=3_600, ge=0, description="How long the engine buffers a PaymentReceived message nobody waits for yet."
    )
    collection_deposit_message_ttl_s: int = Field(
        default=90 * 86_400,
        ge=0,
        description="How long DepositReceived is buffered for an order process that does not wait for it yet.",
    )
    collection_ageing_bucket_days: list[int] = Field(
        default=[30, 60, 90], description="Upper bounds (days overdue) of the ageing buckets in the collection report."
    )
    collection_payee_name: str = Field(default="杭州门业制造有限公司", description="Payee printed on notices.")
    collection_payee_bank: str = Field(default="中国工商银行杭州分行", description="Payee's bank printed on notices.")
    collection_payee_account: str = Field(default="1202 0000 0000 0000 000", description="Payee's account number.")
    collection_finance_phone: str = Field(default="0571-88880000", description="Finance contact printed on notices.")

    # Outgoing e-mail (SMTP). An empty host records e-mails as "not sent: SMTP not configured".
    smtp_host: str = Field(default="", description="SMTP server; empty disables sending (mails are only recorded).")
    smtp_port: int = Field(default=25, description="SMTP port (465 with smtp_ssl, 587 with smtp_starttls).")
    smtp_sender: str = Field(default="finance@doorflow.local", description="From address of customer e-mails.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    smtp_ssl: bool = Field(default=False, description="Connect with implicit TLS (SMTPS).")
    smtp_username: str = Field(default="", description="SMTP login; empty for no authentication.")
    smtp_password: str = Field(default="", description="SMTP password.")
    smtp_timeout_s: float = 15.0

    @property
    def engine_dir(self) -> Path:
        return self.state_dir / "engine"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead of using this."""
    return Settings()
