"""One settings object for every doorflow process, read from the environment (prefix ``DOORFLOW_``).

Every "[X]" of the factory policies that the walking skeleton needs lives here, never as a literal.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# The engine (Operaton) version is pinned once, in engine/pom.xml (property operaton.version).
ENGINE_POM = ROOT / "engine" / "pom.xml"


def engine_version() -> str:
    """The Operaton version the engine application is built with (read from engine/pom.xml)."""
    import re

    found = re.search(r"<operaton.version>([^<]+)</operaton.version>", ENGINE_POM.read_text(encoding="utf-8"))
    if found is None:
        raise RuntimeError(f"{ENGINE_POM} pins no <operaton.version>")
    return found.group(1).strip()


class StageSetting(BaseModel):
    """One production stage of the standard plan: its name, owner and length in working days (China's calendar)."""

    name: str
    owner: str
    days: int = Field(gt=0)


DEFAULT_STAGES = [
    StageSetting(name="下料", owner="下料车间 张建国", days=2),
    StageSetting(name="成型", owner="成型车间 李伟", days=3),
    StageSetting(name="表面处理", owner="涂装车间 王芳", days=2),
    StageSetting(name="装配", owner="装配车间 赵强", days=2),
    StageSetting(name="包装", owner="成品库 陈静", days=1),
]

# Bill of materials per door type: material code → quantity per door. Kept simple on purpose;
# the factory tunes it here (or via DOORFLOW_PRODUCTION_BOM as JSON).
DEFAULT_BOM: dict[str, dict[str, str]] = {
    "steel_security": {"STEEL-SHEET-1.0": "2", "LOCK-CORE-C": "1", "HINGE-SS": "3", "FRAME-STEEL": "1"},
    "wooden": {"WOOD-PANEL-40": "2", "HINGE-SS": "3", "LOCK-MECH": "1"},
    "fire": {"STEEL-SHEET-1.0": "2", "FIRE-CORE": "1", "HINGE-SS": "3", "FRAME-STEEL": "1"},
    "glass": {"GLASS-TEMP-10": "1", "HINGE-SS": "2"},
    "aluminium": {"ALU-PROFILE": "6", "HINGE-SS": "3"},
}


class RiskRuleSetting(BaseModel):
    """How a risk raised by a process is classed: its category, level and owner group."""

    category: str = Field(pattern="^(market|technical|quality|customer)$")
    level: str = Field(pattern="^(high|medium|low)$")
    owner_group: str


DEFAULT_RISK_RULES: dict[str, RiskRuleSetting] = {
    "production_delay": RiskRuleSetting(category="technical", level="medium", owner_group="project"),
    "final_inspection_failed": RiskRuleSetting(category="quality", level="medium", owner_group="quality"),
    "incoming_inspection_failed": RiskRuleSetting(category="quality", level="low", owner_group="purchasing"),
    "installation_inspection_failed": RiskRuleSetting(category="quality", level="medium", owner_group="installation"),
    "installment_overdue": RiskRuleSetting(category="customer", level="medium", owner_group="finance"),
    "major_change": RiskRuleSetting(category="technical", level="medium", owner_group="project"),
    "customer_risk_flag": RiskRuleSetting(category="customer", level="high", owner_group="sales-manager"),
}


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

    # Engine (Operaton): its root URL (REST under /engine-rest) and the system user doorflow acts as.
    engine_url: str = Field(default="http://127.0.0.1:8080", validation_alias="ENGINE_URL")
    engine_user: str = Field(default="doorflow", description="The engine's system user for the API and workers.")
    engine_password: str = Field(
        default="doorflow",
        validation_alias="DOORFLOW_ENGINE_SYSTEM_PASSWORD",
        description="Password of engine_user; the default is demo-only (local runs).",
    )
    engine_request_timeout_s: float = 10.0
    engine_port: int = Field(default=8080, description="Port of the local engine (./dev run), on 127.0.0.1.")

    # API
    api_port: int = 8000

    # Workers (external tasks) and the message outbox
    task_lock_ms: int = Field(default=30_000, description="How long a fetched task is locked; extended while it runs.")
    worker_max_tasks: int = Field(default=50, ge=1, description="Most tasks fetched in one long poll.")
    worker_concurrency: int = Field(default=8, ge=1, description="Handlers run at once per worker process.")
    worker_long_poll_ms: int = Field(default=20_000, description="How long one fetch waits for tasks to appear.")
    worker_noop: bool = Field(
        default=False,
        description="Benchmark only (./dev bench): complete every task with placeholder variables, touch no store.",
    )
    retry_backoff_base_ms: int = Field(default=2_000, description="First retry back-off; doubles per failed try.")
    retry_backoff_max_ms: int = 300_000
    message_dispatch_interval_s: float = Field(
        default=5.0, description="Longest pause of the message dispatcher between two looks at the outbox."
    )
    message_retry_max_s: float = Field(
        default=10.0, description="Longest pause before a message that nobody waited for is offered again."
    )

    # Business configuration ([X] values of the policies)
    order_max_door_width_mm: int = Field(default=3_000, description="Widest door opening the factory builds.")
    order_max_door_height_mm: int = Field(default=4_000, description="Tallest door opening the factory builds.")
    order_max_quantity_per_line: int = 500
    order_max_wall_thickness_mm: int = Field(default=1_000, description="Thickest wall a door frame is built for.")
    order_max_lines: int = Field(default=200, description="Most door lines one order may have.")
    order_max_total: str = Field(
        default="99999999.99", description="Largest order total (CNY) accepted; larger orders are split by sales."
    )

    # Production (door-production.bpmn)
    production_due_buffer_days: int = Field(
        default=7, ge=0, description="Production must finish this many days before the delivery date."
    )
    production_due_time: time = Field(
        default=time(18, 0), description="Time of day (factory time zone) the production due date ends."
    )
    factory_timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone of the factory: its calendar days (due dates, revisit days) and times of day.",
    )
    production_due_check_interval: str = Field(
        default="P1D",
        description="ISO-8601 duration between checks, from the production due time on, whether production is late "
        "against the plan's current due date (a change or a reported delay moves it).",
    )
    production_stages: list[StageSetting] = Field(
        default_factory=lambda: list(DEFAULT_STAGES), description="Stages of a production plan, in order."
    )
    production_bom: dict[str, dict[str, str]] = Field(
        default_factory=lambda: dict(DEFAULT_BOM),
        description="Bill of materials: door type → material code → quantity per door.",
    )
    supplier_qualified_classes: list[str] = Field(
        default_factory=lambda: ["A", "B", "C"],
        description="Supplier classes that may receive purchase orders, best first (the purchase step prefers the "
        "better class, then the weighted score). The disqualified class D is never picked and may not be listed.",
    )
    supplier_score_weights: dict[str, str] = Field(
        default_factory=lambda: {"quality": "0.4", "lead_time": "0.2", "price": "0.2", "service": "0.2"},
        description="Weights of the supplier scores when choosing the best qualified supplier.",
    )
    supplier_default_lead_time_days: int = Field(
        default=7,
        ge=0,
        description="Days after it is raised a purchase order is due when the supplier has no agreed lead time; "
        "the scorecard's on-time receipts compare the full receipt with this due date.",
    )
    supplier_evaluation_period_days: int = Field(
        default=90, ge=1, description="Days (ending today) a supplier scorecard evaluation looks back over."
    )
    supplier_price_points_per_percent: str = Field(
        default="2",
        description="Price score: points lost per percent the purchase amount lies above its reference amount "
        "(100 at or below the reference price, never below 0).",
    )
    supplier_return_handling_days: int = Field(
        default=7,
        ge=0,
        description="Days a supplier has to replace returned goods (its replacement received in full) for the "
        "return to count as handled in time in its service score.",
    )
    goods_received_message_ttl_s: int = Field(
        default=86_400, description="Seconds a goods receipt waits for its purchase order's process to listen."
    )

    # Installation (door-installation.bpmn)
    installation_default_team: str = Field(default="安装一组", description="Team proposed when scheduling.")
    replacement_message_ttl_s: int = Field(
        default=86_400, description="Seconds a replacement-arrived notice waits for the process to listen."
    )

    # After-sales (policy 002 售后管理). The contact deadline per priority is in DMN service-priority.
    aftersales_revisit_working_days: int = Field(
        default=3, ge=1, description="Revisit the customer this many working days (China's calendar) after resolution."
    )
    aftersales_revisit_time: time = Field(
        default=time(9, 0), description="Time of day (factory zone) on the revisit date when the revisit task appears."
    )
    aftersales_feedback_ttl_s: int = Field(
        default=3_600,
        ge=0,
        description="Seconds the outbox offers a customer's feedback wake-up until the ticket's process waits for it.",
    )

    # Order lifecycle (door-order.bpmn)
    order_message_ttl_s: int = Field(
        default=86_400,
        description="Seconds the outbox offers a ShipmentDelivered or ChangeRequested wake-up that arrives before "
        "the order's process waits for it.",
    )
    order_min_lead_time_days: int = Field(
        default=30, description="Shortest lead time (days from review to delivery) the order review accepts."
    )
    deposit_reminder_after: str = Field(
        default="P3D",
        description="ISO-8601 duration after handover before finance is reminded of a missing deposit, and again "
        "after every further such period until it arrives.",
    )
    follow_up_delay: str = Field(
        default="P7D", description="ISO-8601 duration between acceptance and the customer's return visit."
    )
    payment_deposit_ratio: Decimal = Field(default=Decimal("0.30"), description="Deposit share of the contract total.")
    payment_progress_ratio: Decimal = Field(
        default=Decimal("0.60"), description="Progress payment share of the contract total (due before delivery)."
    )
    payment_final_ratio: Decimal = Field(
        default=Decimal("0.10"), description="Final payment share of the contract total (after acceptance)."
    )
    payment_deposit_due_days: int = Field(default=7, description="Days after signing the deposit is due.")
    payment_progress_due_days: int = Field(
        default=20, description="Days before the agreed delivery date the progress payment is due."
    )
    payment_final_due_days: int = Field(
        default=30, description="Days after the agreed delivery date the final payment is due."
    )
    company_name: str = Field(
        default="浙江匠门定制门业有限公司", description="The seller named in contracts and certificates."
    )
    contract_quality_standard: str = Field(
        default="国家现行门类产品标准（如 GB/T 20909《钢质门窗》、GB 12955《防火门》）及本合同约定的技术要求",
        description="Quality standard clause printed in the sales contract.",
    )
    contract_late_delivery_penalty_per_day_percent: Decimal = Field(
        default=Decimal("0.05"), description="Seller's penalty per day of late delivery, percent of the contract total."
    )
    contract_late_payment_penalty_per_day_percent: Decimal = Field(
        default=Decimal("0.05"), description="Buyer's penalty per day of late payment, percent of the overdue amount."
    )
    contract_penalty_cap_percent: Decimal = Field(
        default=Decimal("10"), description="Cap of either side's penalty, percent of the contract total."
    )
    # Payment collection (policy 003 §2.5, §3.3)
    collection_notice_days_before_due: int = Field(
        default=7, ge=0, description="Days before an installment's due date that the settlement notice goes out."
    )
    collection_notice_time: str = Field(
        default="09:00",
        pattern=r"^\d{2}:\d{2}$",
        description="Local time of day (HH:MM) the settlement notice is sent.",
    )
    collection_payment_message_ttl_s: int = Field(
        default=3_600, ge=0, description="Seconds the outbox offers a PaymentReceived wake-up nobody waits for yet."
    )
    collection_deposit_message_ttl_s: int = Field(
        default=90 * 86_400,
        ge=0,
        description="Seconds the outbox offers DepositReceived to an order process that does not wait for it yet.",
    )
    collection_ageing_bucket_days: list[int] = Field(
        default=[30, 60, 90], description="Upper bounds (days overdue) of the ageing buckets in the collection report."
    )
    collection_payee_name: str = Field(
        default="浙江匠门定制门业有限公司", description="Payee printed on notices (the seller of the contract)."
    )
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

    # --- operations (health, worker heartbeats, ./dev run supervision) ---
    worker_heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="How often a worker process's poll loop writes its heartbeat row."
    )
    worker_heartbeat_stale_s: float = Field(
        default=60.0, gt=0, description="A worker whose last heartbeat is older is reported down by /health."
    )
    health_engine_timeout_s: float = Field(default=3.0, gt=0, description="How long /health waits for the engine.")
    run_max_restarts: int = Field(
        default=3, ge=0, description="./dev run restarts a dead worker, API or mail sink process this often."
    )
    run_restart_backoff_s: float = Field(
        default=1.0, ge=0, description="First wait before such a restart; doubled for each further one."
    )
    # Working-day calendar (models/calendar.py): the factory's own official schedules, one <year>.json each,
    # for years the chinese-calendar package does not know yet; they take precedence over the package.
    workdays_dir: Path = Field(
        default=ROOT / "config" / "workdays",
        description="Folder of the factory's official holiday schedules (<year>.json; format in README).",
    )
    # KPI dashboard (api/dashboard/): the sales departments and the after-sales targets of policy 002 考核指标.
    sales_departments: dict[str, list[str]] = Field(
        default={"销售一部": ["王磊", "李娜"], "销售二部": ["陈杰", "赵敏"]},
        description="Sales departments and their salespeople (names as on the orders), for the dashboard's "
        'department filter; JSON, e.g. DOORFLOW_SALES_DEPARTMENTS=\'{"华东销售部": ["王磊"]}\'.',
    )
    aftersales_resolution_target_hours: float = Field(
        default=72.0,
        gt=0,
        description="A ticket resolved within this many hours of its intake counts as resolved in time (解决及时率).",
    )
    aftersales_positive_score: int = Field(
        default=4, ge=1, le=5, description="A revisit with at least this satisfaction score (1-5) is positive (好评)."
    )

    # Cost budget vs actual per order (policy 001 §7): models/costs. Material prices are the price list
    # (table material_prices); the rates below price labour, overhead, rework and replacement doors.
    cost_labour_rate: Decimal = Field(
        default=Decimal("30.00"), ge=0, description="Labour cost (CNY) per door and working day of a production stage."
    )
    cost_overhead_rate: Decimal = Field(
        default=Decimal("0.15"), ge=0, description="Overhead as a share of the direct cost (materials + labour)."
    )
    cost_rework_labour_share: Decimal = Field(
        default=Decimal("0.20"),
        ge=0,
        description="A failed final or installation inspection costs this share of the order's budgeted labour.",
    )
    cost_overrun_share: Decimal = Field(
        default=Decimal("0.10"),
        ge=0,
        description="Actual cost beyond the budget by more than this share flags the order as over budget.",
    )
    # Risk register (policies 001 §5, 000 §7): models/risks. How an automatically raised risk is classed.
    risk_auto_rules: dict[str, RiskRuleSetting] = Field(
        default_factory=lambda: dict(DEFAULT_RISK_RULES),
        description="Per automatic source (production_delay, final_inspection_failed, incoming_inspection_failed, "
        "installation_inspection_failed, installment_overdue, major_change, customer_risk_flag): category "
        "(market/technical/quality/customer), level (high/medium/low) and owner group.",
    )
    # --- documents (001 §6): PDFs, confidential documents and their access process ---
    document_confidential_kinds: list[str] = Field(
        default=[],
        description="Document kinds (contract, contract_amendment, work_order, …) that are always confidential.",
    )
    document_confidential_categories: list[str] = Field(
        default=[], description="Document categories (contract, project, customer) whose documents are confidential."
    )
    document_owner_groups: dict[str, str] = Field(
        default={"contract": "legal", "project": "project", "customer": "customer-service"},
        description="Engine group that owns each document category and approves requests to read its confidential "
        "documents (the 部门负责人 of 001 §6).",
    )
    document_access_grant_duration: str = Field(
        default="PT8H",
        min_length=3,
        pattern=r"^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$",
        description="How long an approved request to read a confidential document lasts (ISO 8601 duration).",
    )
    pdf_render_concurrency: int = Field(
        default=2,
        ge=1,
        description="PDFs laid out at once per process. Each layout holds about 100 MB while it runs and the work is "
        "CPU-bound, so more at once adds memory, not speed.",
    )

    # KPI dashboard (api/dashboard): how many of the newest document reads and refusals its read-log panel counts.
    dashboard_read_log_rows: int = Field(
        default=500, ge=1, le=100_000, description="Newest entries of the document read log the dashboard shows."
    )
    # API authentication (api/auth.py): callers log in with their engine credentials (HTTP Basic), verified
    # by the engine; a verified (user, keyed hash of the password) is remembered this long, in memory only.
    auth_cache_ttl_s: float = Field(
        default=60.0,
        ge=0,
        description="How long a verified API login (or a refused one) is remembered before the engine is asked again.",
    )
    # Request size (api/limits.py): bodies above these are refused with 413 before they are read.
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body the API reads (bytes); larger ones get 413."
    )
    api_max_document_body_bytes: int = Field(
        default=20 * 1_048_576,
        ge=1024,
        description="Largest request body of the document routes (paths under /documents/), in bytes.",
    )
    # Idempotency-Key (api/idempotency.py): how long a key and its stored answer are kept.
    idempotency_retention_hours: float = Field(
        default=72.0,
        gt=0,
        description="Hours an Idempotency-Key is remembered; after that the key is forgotten (its row purged) and "
        "a request with it is processed anew.",
    )
    # Failed API logins (wrong password or key) are throttled before anything is checked: 429 with Retry-After.
    auth_throttle_window_s: float = Field(
        default=300.0, gt=0, description="The window (seconds) in which failed API logins are counted."
    )
    auth_throttle_per_client: int = Field(
        default=20, ge=1, description="Failed logins from one client address in the window before it must wait."
    )
    auth_throttle_per_user: int = Field(
        default=10, ge=1, description="Failed logins for one user id in the window before it must wait."
    )
    auth_known_client_s: float = Field(
        default=86_400.0,
        ge=0,
        description="A client that logged in as a user this recently is not held back by that user's failures "
        "from other clients (a stranger's wrong passwords cannot switch an integration off).",
    )
    access_file: Path = Field(
        default=ROOT / "config" / "access.toml",
        description="The role matrix: which engine groups may call which API route (README: Who may call what).",
    )

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
