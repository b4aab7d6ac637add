"""A realistic context for every template in templates/ (what the services pass), for rendering tests.

Each sample names the Chinese texts its document must show: the customer, the title, and the amounts
in Chinese capitals (人民币大写) where the document carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal as D
from types import SimpleNamespace as NS
from typing import Any
from zoneinfo import ZoneInfo

CUSTOMER = "杭州绿城物业有限公司"
SELLER = "浙江匠门定制门业有限公司"
ADDRESS = "浙江省杭州市西湖区文三路 100 号"
ORDER_NUMBER = "DO20990301-00042"
CONTRACT_NUMBER = "HT20990301-0042"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _value(v: str) -> NS:
    return NS(value=v)


def _line(no: int, door_type: str, handing: str, width: int, height: int, qty: int, price: str, **extra: Any) -> NS:
    values = {"wall_thickness_mm": None, "material": None, "finish": None, "lock_hardware": None, **extra}
    return NS(line_no=no, door_type=door_type, handing=handing, width_mm=width, height_mm=height, quantity=qty,
              unit_price=D(price), **values)  # fmt: skip


def _enum_line(line: NS) -> NS:
    """Work order and installation plan read ``door_type.value`` (the ORM enums)."""
    return NS(**{**vars(line), "door_type": _value(line.door_type), "handing": _value(line.handing)})


LINES = [
    _line(1, "steel_security", "left_inswing", 960, 2050, 12, "2380.00", wall_thickness_mm=240, material="冷轧钢板",
          finish="古铜色", lock_hardware="C级锁芯"),
    _line(2, "wooden", "right_inswing", 850, 2100, 36, "1280.50"),
]  # fmt: skip
ORDER = NS(
    order_number=ORDER_NUMBER, customer_name=CUSTOMER, customer_phone="0571-88886666",
    customer_email="purchase@lvcheng.example", delivery_address=ADDRESS, salesperson="王磊",
    requested_delivery_date=date(2099, 6, 30), delivery_date=date(2099, 6, 30), lines=LINES,
    total_amount=D("74658.00"),
)  # fmt: skip
ENUM_ORDER = NS(**{**vars(ORDER), "lines": [_enum_line(line) for line in LINES]})
PAYEE = NS(name=SELLER, bank="中国工商银行杭州文三路支行", account="1202 0210 0900 1234 567", phone="0571-86001234")
INSTALLMENT = NS(
    order_number=ORDER_NUMBER, contract_number=CONTRACT_NUMBER, customer_name=CUSTOMER, seq=2,
    amount=D("44794.80"), paid_amount=D("10000.00"), balance=D("34794.80"), due_date=date(2099, 5, 20),
)  # fmt: skip
TERMS = [
    {"label": "定金", "ratio": "0.3", "amount": D("22397.40"), "due": "合同签订后 7 日内"},
    {"label": "进度款", "ratio": "0.6", "amount": D("44794.80"), "due": "发货前"},
    {"label": "尾款", "ratio": "0.1", "amount": D("7465.80"), "due": "验收合格后 30 日内"},
]


@dataclass(frozen=True)
class Sample:
    template: str
    title: str
    context: dict[str, Any]
    expected: tuple[str, ...] = field(default=())  # besides the title and the customer
    names_the_customer: bool = True  # False for reports about many customers (the quarterly statistics)


def samples() -> list[Sample]:
    contract = NS(contract_number=CONTRACT_NUMBER, signed_on=date(2099, 3, 1), signed_by="李娜",
                  total_amount=D("74658.00"))  # fmt: skip
    change = NS(
        change_number="BG20990410-0003", requested_by="客户项目经理 李娜", description="1 号门洞加宽到 1000 mm",
        price_delta=D("500.00"), schedule_impact_days=5, cost_delta=D("420.00"), major=True,
        impact_reason="工期影响超过 3 天", assessment_note="需重新下料", customer_note="同意按新价格执行",
        reviews=[NS(department=_value("technical"), approved=True, comment="工艺可行",
                    reviewed_at=datetime(2099, 4, 11, 10, 0, tzinfo=SHANGHAI))],
    )  # fmt: skip
    stage = NS(seq=1, name="下料", owner="下料车间 张建国", planned_start=date(2099, 5, 4), milestone=date(2099, 5, 6),
               status=_value("completed"), progress_percent=100)  # fmt: skip
    amendment_installments = [
        NS(seq=1, kind=_value("deposit"), amount=D("22397.40"), paid_amount=D("22397.40"), due_date=date(2099, 3, 8),
           status=_value("paid")),
        NS(seq=2, kind=_value("progress"), amount=D("45094.80"), paid_amount=D("0.00"), due_date=date(2099, 5, 20),
           status=_value("open")),
    ]  # fmt: skip
    return [
        Sample(
            "contract.html.j2",
            "定制门销售合同",
            {
                "contract_number": CONTRACT_NUMBER,
                "version": 2,
                "order": ORDER,
                "revision_note": "调整交货日期",
                "previous": NS(version=1, legal_comments="违约金上限需明确"),
                "seller": SELLER,
                "lines": LINES,
                "price": NS(list_total=D("78587.37"), discount_percent=D("5")),
                "adjustment": None,
                "total": D("74658.00"),
                "delivery_date": date(2099, 6, 30),
                "quality_standard": "GB/T 20909-2017",
                "payment_terms": TERMS,
                "terms": NS(
                    late_delivery_penalty_percent="0.05", late_payment_penalty_percent="0.05", penalty_cap_percent="10"
                ),
            },
            ("人民币柒万肆仟陆佰伍拾捌元整", "人民币贰万贰仟叁佰玖拾柒元肆角", "钢质防盗门", SELLER),
        ),
        Sample(
            "contract-amendment.html.j2",
            "合同变更协议",
            {
                "contract": contract,
                "version": 3,
                "previous_version": 2,
                "seller": SELLER,
                "order": ORDER,
                "amendment": NS(
                    change_number=change.change_number,
                    description=change.description,
                    rows=[NS(item="1 号门 宽度", before="960 mm", after="1000 mm")],
                    total_before=D("74658.00"),
                    total_after=D("75158.00"),
                    money_delta=D("500.00"),
                    installments=amendment_installments,
                    credit_due=D("0"),
                    extra_due=D("0"),
                ),
                "kind_names": {"deposit": "定金", "progress": "进度款", "final": "尾款"},
                "payment_terms": TERMS,
            },
            ("人民币柒万伍仟壹佰伍拾捌元整", "增加人民币伍佰元整", "BG20990410-0003"),
        ),
        Sample(
            "change-order.html.j2",
            "订单变更单",
            {
                "change": change,
                "order": ORDER,
                "channel": "电话",
                "quality": "无影响",
                "departments": {"technical": "技术部", "production": "生产部", "finance": "财务部"},
                "revision_before": 1,
                "revision": 2,
                "rows": [NS(item="1 号门 宽度", before="960 mm", after="1000 mm")],
                "before": NS(total_amount=D("74658.00")),
                "after": NS(total_amount=D("75158.00")),
                "applied_at": datetime(2099, 4, 12, 9, 0, tzinfo=SHANGHAI),
            },
            ("重大变更", "¥75,158.00", "2099年4月12日"),
        ),
        Sample(
            "handover-sheet.html.j2",
            "订单交接单",
            {
                "order": ORDER,
                "contract": contract,
                "special_items": ["1 号门需防火等级乙级"],
                "attachments": [NS(title="销售合同 HT20990301-0042（第 2 版）", document_id=17)],
                "departments": {"project": "项目部", "customer_service": "客服部", "finance": "财务部"},
            },
            ("★ 1 号门需防火等级乙级", "项目部", "¥74,658.00"),
        ),
        Sample(
            "work-order.html.j2",
            "生产任务单",
            {
                "order": ENUM_ORDER,
                "plan": NS(version=1, due_date=date(2099, 6, 20), status=_value("packed")),
                "craft": NS(
                    code="GY-2099-01", version="V3", title="钢质门生产工艺规程", effective_from=date(2099, 1, 1)
                ),
                "stages": [stage],
                "materials": [NS(name="冷轧钢板 1.0mm", quantity=D("24"), unit="张")],
                "inspections": [NS(kind=_value("final"), round=1, passed=True, cause=None, rework_note=None)],
            },
            ("下料车间 张建国", "钢质门生产工艺规程", "已包装"),
        ),
        Sample(
            "production-delay-notice.html.j2",
            "生产延期告知函",
            {
                "order": ORDER,
                "delay": NS(
                    old_due_date=date(2099, 6, 20),
                    new_due_date=date(2099, 6, 27),
                    cause=_value("internal"),
                    cause_detail="表面处理设备检修",
                    remedy="加班赶工",
                    responsibility="涂装车间",
                ),
            },
            ("我方内部原因", "2099年6月27日"),
        ),
        Sample(
            "installation-plan.html.j2",
            "安装计划单",
            {
                "order": ENUM_ORDER,
                "installation": NS(scheduled_date=date(2099, 7, 2), team="安装一组 郑强", site_address=ADDRESS),
            },
            ("安装一组 郑强", "2099年7月2日", "木门"),
        ),
        Sample(
            "acceptance-certificate.html.j2",
            "验收合格证书",
            {
                "order": ORDER,
                "contract": contract,
                "acceptance": NS(round=2, accepted_by="李娜", rework_note="更换门吸"),
                "seller": SELLER,
            },
            ("验收合格", "更换门吸", SELLER),
        ),
        Sample(
            "settlement-notice.html.j2",
            "结算通知单",
            {"inst": INSTALLMENT, "kind_name": "进度款", "payee": PAYEE, "payments": []},
            ("人民币肆万肆仟柒佰玖拾肆元捌角", "人民币叁万肆仟柒佰玖拾肆元捌角", "中国工商银行杭州文三路支行"),
        ),
        Sample(
            "dunning-notice.html.j2",
            "催款函",
            {
                "inst": INSTALLMENT,
                "kind_name": "进度款",
                "payee": PAYEE,
                "payments": [],
                "step": NS(action="letter", channel="书面函件", title="催款函"),
                "step_no": 3,
            },
            ("人民币叁万肆仟柒佰玖拾肆元捌角", "第3次（书面函件）", "法律途径"),
        ),
        Sample(
            "aftersales-quarterly.html.j2",
            "售后服务统计报告",
            {"report": QUARTERLY, "generated_on": date(2099, 4, 1), "problem_types": {"lock_hardware": "锁具五金"}},
            ("2099年第1季度", "锁具五金", "锁芯批次质量问题", "技术部（签收）"),
            names_the_customer=False,
        ),
    ]


def _group(key: str, label: str) -> dict[str, Any]:
    return {"key": key, "label": label, "tickets": 3, "resolved": 2, "mean_handling_hours": 20.5, "revisited": 2,
            "mean_satisfaction": 4.5, "positive": 2}  # fmt: skip


QUARTERLY: dict[str, Any] = {
    "year": 2099, "quarter": 1, "start": date(2099, 1, 1), "end": date(2099, 3, 31), "salesperson": None,
    "ticket_count": 3, "resolved_count": 2, "mean_handling_hours": 20.5, "revisited_count": 2,
    "mean_satisfaction": 4.5, "positive_score": 4,
    "by_problem_type": [_group("lock_hardware", "锁具五金")],
    "by_product_model": [_group("steel_security", "GF-960 钢质安全门")],
    "by_cause": [_group("锁芯批次质量问题", "锁芯批次质量问题")],
    "rows": [{"problem_type": "lock_hardware", "problem_type_label": "锁具五金", "product_model": "GF-960",
              "cause": "锁芯批次质量问题", "tickets": 3, "resolved": 2, "mean_handling_hours": 20.5,
              "mean_satisfaction": 4.5}],
}  # fmt: skip
