"""The demo: realistic sample orders and tickets driven by simulated staff to every stage.

Run ``./dev run`` in one terminal and ``./dev demo`` in another. Each sample order is driven by
simulated staff (the happy-path answers of ``doorflow/staff_answers``) until it reaches its
scenario's stage and is left there, so Tasklist and Cockpit show live orders waiting at review,
legal review, handover, production, installation, acceptance …
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from doorflow import identity
from doorflow.history import EngineHistory
from doorflow.operaton import OperatonClient
from doorflow.simulated_systems import factory_responders
from doorflow.staff import Answer, SimulatedStaff
from doorflow.staff_answers import today

Say = Callable[[str], None]

# Who the demo calls the API as: orders come from the shop front, the change request from the CRM and the
# tickets from the service hotline (service users of doorflow-identity.json; warehouse, logistics and
# finance are in doorflow/simulated_systems.py).
SHOP, CRM, HOTLINE = "svc-shop", "svc-crm", "svc-hotline"

CUSTOMERS = [
    ("杭州绿城物业有限公司", "0571-88886666", "浙江省杭州市西湖区文三路 100 号"),
    ("上海万科置业有限公司", "021-62345678", "上海市浦东新区张杨路 1500 号"),
    ("苏州园区建设发展有限公司", "0512-67891234", "江苏省苏州市工业园区星湖街 328 号"),
    ("南京金陵饭店有限公司", "025-84711888", "江苏省南京市鼓楼区汉中路 2 号"),
    ("宁波东方商业广场", "0574-87654321", "浙江省宁波市鄞州区天童南路 588 号"),
    ("合肥滨湖医院", "0551-63456789", "安徽省合肥市包河区紫云路 1000 号"),
    ("无锡太湖学校", "0510-85123456", "江苏省无锡市滨湖区蠡湖大道 2000 号"),
    ("张先生（个人）", "138-0571-2233", "浙江省杭州市滨江区江南大道 3888 号 2 幢 1802 室"),
]

LINES = [
    {"door_type": "steel_security", "width_mm": 960, "height_mm": 2050, "wall_thickness_mm": 240,
     "material": "冷轧钢板", "finish": "古铜色", "handing": "left_inswing", "lock_hardware": "C级锁芯",
     "quantity": 12, "unit_price": "2380.00"},
    {"door_type": "wooden", "width_mm": 850, "height_mm": 2100, "wall_thickness_mm": 200, "material": "实木复合",
     "finish": "胡桃木色", "handing": "right_inswing", "lock_hardware": "静音磁吸锁", "quantity": 36,
     "unit_price": "1280.50"},
    {"door_type": "fire", "width_mm": 1200, "height_mm": 2100, "wall_thickness_mm": 240, "material": "镀锌钢板",
     "finish": "灰白色", "handing": "left_outswing", "lock_hardware": "逃生推杠锁", "quantity": 8,
     "unit_price": "3650.00"},
    {"door_type": "glass", "width_mm": 1800, "height_mm": 2400, "material": "钢化玻璃", "finish": "透明",
     "handing": "sliding", "lock_hardware": "地弹簧", "quantity": 2, "unit_price": "5200.00"},
]  # fmt: skip


@dataclass
class Scenario:
    """Drive one order until ``stage`` (an element id) is active somewhere in its instance tree."""

    label: str
    stage: str
    overrides: dict[str, Answer | list[Answer]] = field(default_factory=dict)
    pays: tuple[str, ...] = ()  # installment kinds the customer pays when due
    order: dict[str, Any] = field(default_factory=dict)  # order fields on top of the sample


CHANGE_STAGE = "AssessChangeImpact"  # where a new change request waits first

NOT_FEASIBLE = {"materialOk": "no", "materialComment": "进口五金件缺货，需 45 天到货"}

ORDER_SCENARIOS = [
    Scenario("新订单，三个部门评审中", "ReviewProductionCapacity"),
    Scenario("原材料不足，销售与客户协商交期", "NegotiateDeliveryDate", {"ReviewMaterialSupply": NOT_FEASIBLE}),
    Scenario("申请 15% 折扣，价格待审批", "ApprovePrice", order={"requested_discount_percent": "15"}),
    Scenario("合同待法务审核", "LegalReview"),
    Scenario("订单交接，等待财务确认", "ConfirmHandoverFinance"),
    Scenario("已交接，等待客户付定金", "WaitForDeposit"),
    Scenario("生产中：分阶段报工", "ReportStageProgress", pays=("deposit",)),
    Scenario("成品检验", "FinalInspection", pays=("deposit",)),
    Scenario("已发货，等待送达", "ShipmentDelivered", pays=("deposit", "progress"), order={"lines": [LINES[1]]}),
    Scenario("安装前检查", "PreInstallCheck", pays=("deposit", "progress")),
    Scenario("客户验收", "AcceptInstallation", pays=("deposit", "progress")),
    Scenario("已验收，等待回访日", "FollowUpDue", pays=("deposit", "progress", "final")),
]

TICKETS = [
    ("FirstContact", {"problem_type": "lock_hardware", "severity": "high", "urgency": "high",
                      "problem_description": "入户门锁芯卡死，钥匙无法转动，客户无法进门。"}),
    ("TechnicalAnalysis", {"problem_type": "hinge_alignment", "severity": "medium", "urgency": "medium",
                           "problem_description": "卧室门下沉，关门时与地面摩擦。"}),
    ("CustomerFeedbackReceived", {"problem_type": "seal_insulation", "severity": "low", "urgency": "low",
                                  "problem_description": "防火门密封条脱落。"}),
]  # fmt: skip


def order_body(i: int, extra: dict[str, Any]) -> dict[str, Any]:
    name, phone, address = CUSTOMERS[i % len(CUSTOMERS)]
    body = {
        "customer_name": name,
        "customer_phone": phone,
        "customer_email": f"finance{i + 1}@customer.example.cn",
        "delivery_address": address,
        "requested_delivery_date": (today() + timedelta(days=60 + 7 * i)).isoformat(),
        "salesperson": ["王磊", "李娜", "陈杰", "赵敏"][i % 4],
        "lines": [LINES[i % len(LINES)], LINES[(i + 1) % len(LINES)]],
    }
    return body | extra


def describe(history: EngineHistory, root: str, element_id: str) -> str:
    """Where the instance tree waits at ``element_id``, in the engine's own words: the element's name
    and, for a user task, the groups that may do it (so the demo never claims who approves what)."""
    names = identity.group_names()
    steps = [step for step in history.current_steps(root) if step.element_id == element_id]
    if not steps:
        return f"不在「{element_id}」"
    parts = []
    for step in steps:
        groups = "、".join(sorted({names.get(g, g) for g in step.candidate_groups}))
        parts.append(f"停在「{step.name}」，由{groups}处理" if groups else f"停在「{step.name}」")
    return "；".join(dict.fromkeys(parts))


def active(history: EngineHistory, root: str, element_id: str) -> bool:
    """Is ``element_id`` active (entered and not yet left) in the instance tree of ``root``?"""
    for pid in history.instance_tree(root):
        entered = history.visited(pid, element_id, "started")
        left = history.visited(pid, element_id) + history.visited(pid, element_id, "canceled")
        if entered > left:
            return True
    return False


class Demo:
    def __init__(self, api: httpx.Client, engine: OperatonClient, history: EngineHistory, say: Say) -> None:
        self.api, self.engine, self.history, self.say = api, engine, history, say

    def drive(self, root: str, stage: str, staff: SimulatedStaff, overrides: dict[str, Answer | list[Answer]]) -> str:
        try:
            staff.work_until(root, lambda: active(self.history, root, stage), overrides, timeout_s=180, stop_at={stage})
            return "reached"
        except TimeoutError as exc:
            return f"stopped early ({exc})"

    def orders(self, scenarios: list[Scenario]) -> list[tuple[dict[str, Any], str]]:
        """One order per scenario, driven to its stage; returns each order with where it was left."""
        made = []
        for i, scenario in enumerate(scenarios):
            response = self.api.post("/orders", json=order_body(i, scenario.order), auth=identity.credentials(SHOP))
            response.raise_for_status()
            order = response.json()
            staff = SimulatedStaff(
                self.engine, self.history, responders=factory_responders(self.api, order["id"], pay=scenario.pays)
            )
            if scenario.stage == "ShipmentDelivered":
                staff.responders.pop("ShipmentDelivered")  # left in transit: logistics has not reported yet
            root = order["process_instance_id"]
            where = self.drive(root, scenario.stage, staff, dict(scenario.overrides))
            now = describe(self.history, root, scenario.stage) if where == "reached" else where
            self.say(f"order  {order['order_number']} {order['customer_name']}: {scenario.label} — {now}")
            made.append((order, where))
        return made

    def change_request(self, order: dict[str, Any]) -> None:
        body = {"description": "1 号门洞加宽到 1000 mm", "requested_by": "客户项目经理 李娜", "channel": "phone",
                "line_changes": [{"line_no": 1, "width_mm": 1000}]}  # fmt: skip
        auth = identity.credentials(CRM)
        response = self.api.post(f"/orders/{order['id']}/change-requests", json=body, auth=auth)
        response.raise_for_status()
        root = order["process_instance_id"]
        try:  # the wake-up goes through the outbox: the change's first task appears a moment later
            self.history.wait_for(lambda: active(self.history, root, CHANGE_STAGE), 60, "the change's first task")
            now = describe(self.history, root, CHANGE_STAGE)
        except TimeoutError as exc:
            now = f"stopped early ({exc})"
        self.say(f"change {response.json()['change_number']}: 变更申请 — {now}")

    def tickets(self, orders: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        made = []
        for i, (stage, fields) in enumerate(TICKETS):
            order = orders[(i + 5) % len(orders)]
            body = {
                "customer_name": order["customer_name"],
                "order_number": order["order_number"],
                "product_model": "GF-960 钢质防盗门",
                "channel": ["hotline", "email", "api"][i % 3],
                **fields,
            }
            response = self.api.post("/tickets", json=body, auth=identity.credentials(HOTLINE))
            response.raise_for_status()
            ticket = response.json()
            pid = ticket["process_instance_id"]
            where = self.drive(pid, stage, SimulatedStaff(self.engine, self.history), {})
            now = describe(self.history, pid, stage) if where == "reached" else where
            self.say(f"ticket {ticket['ticket_number']}: {fields['problem_description']} — {now}")
            made.append((ticket, where))
        return made


def run(api_url: str, engine: OperatonClient, history: EngineHistory, say: Say) -> int:
    """Fill the running doorflow with live orders, a change request and after-sales tickets."""
    with httpx.Client(base_url=api_url, timeout=30) as api:
        try:
            health = api.get("/health")
        except httpx.HTTPError as exc:
            say(f"the API at {api_url} does not answer ({exc}); start doorflow first with ./dev run")
            return 2
        if health.status_code != 200:
            down = health.json().get("down") if health.headers.get("content-type") == "application/json" else None
            say(f"doorflow is not fully up (down: {down or health.status_code}); see {api_url}/health")
            return 2
        demo = Demo(api, engine, history, say)
        orders = [order for order, _ in demo.orders(ORDER_SCENARIOS)]
        demo.change_request(orders[6])
        demo.tickets(orders)
    say(f"done: {len(orders)} orders and {len(TICKETS)} tickets: see them in Tasklist and Cockpit")
    return 0
