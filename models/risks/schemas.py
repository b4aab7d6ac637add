"""Input and output shapes of the risk register (pydantic); labels in Chinese for staff and charts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from models.risks.tables import RiskCategory, RiskLevel, RiskSource, RiskStatus
from models.types import Line, Text

CATEGORY_LABELS = {
    RiskCategory.MARKET: "市场风险",
    RiskCategory.TECHNICAL: "技术风险",
    RiskCategory.QUALITY: "质量风险",
    RiskCategory.CUSTOMER: "客户风险",
}
LEVEL_LABELS = {RiskLevel.HIGH: "高", RiskLevel.MEDIUM: "中", RiskLevel.LOW: "低"}
STATUS_LABELS = {RiskStatus.OPEN: "未关闭", RiskStatus.CLOSED: "已关闭"}
SOURCE_LABELS = {
    RiskSource.STAFF: "人工登记",
    RiskSource.PRODUCTION_DELAY: "生产延期",
    RiskSource.FINAL_INSPECTION_FAILED: "成品检验不合格",
    RiskSource.INCOMING_INSPECTION_FAILED: "来料检验不合格",
    RiskSource.INSTALLATION_INSPECTION_FAILED: "安装验收不合格",
    RiskSource.INSTALLMENT_OVERDUE: "回款逾期",
    RiskSource.MAJOR_CHANGE: "重大变更",
    RiskSource.CUSTOMER_RISK_FLAG: "客户信用风险预警",
}


class RiskIn(BaseModel):
    """A risk staff enter for an order (风险登记)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: RiskCategory = Field(description="market 市场 / technical 技术 / quality 质量 / customer 客户.")
    level: RiskLevel = Field(description="high 高 / medium 中 / low 低.")
    title: Line = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, max_length=4000)
    measures: Text | None = Field(default=None, max_length=4000, description="The response measures (应对措施).")
    owner_group: Line = Field(min_length=1, max_length=60, description="The engine group that owns it, e.g. project.")
    owner_user: Line | None = Field(default=None, max_length=120, description="A named owner within the group.")
    raised_by: Line = Field(min_length=1, max_length=120, description="Who enters it.")


class RiskCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(min_length=1, max_length=4000, description="How the risk was dealt with (required).")
    closed_by: Line = Field(min_length=1, max_length=120)


class RiskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    category: RiskCategory
    level: RiskLevel
    status: RiskStatus
    title: str
    description: str | None
    measures: str | None
    owner_group: str
    owner_user: str | None
    source: RiskSource
    source_ref: str | None
    raised_by: str
    raised_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_note: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


class RiskCount(BaseModel):
    key: str
    label: str = Field(description="Chinese label for charts.")
    count: int


class RiskReport(BaseModel):
    risks: int = Field(description="Risks raised in the period (of the salesperson's orders).")
    open_risks: int
    by_category: list[RiskCount] = Field(description="Open risks per category.")
    by_level: list[RiskCount] = Field(description="Open risks per level.")
    by_status: list[RiskCount]
    by_source: list[RiskCount] = Field(description="All risks per source (which process raised them).")
    open_high: list[RiskOut] = Field(description="Open high risks, oldest first.")
