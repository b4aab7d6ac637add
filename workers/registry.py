"""Every service-task type doorflow implements, declared once.

Diagrams (``zeebe:taskDefinition type``), worker modules and the Camunda Modeler element
templates all derive from this registry; ``tests/test_task_types.py`` keeps them in step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TaskType(enum.StrEnum):
    # --- door order (door-order.bpmn) ---
    ORDER_REGISTER = "doorflow.order.register"
    # --- production (production.bpmn) ---
    # --- installation (installation.bpmn) ---
    # --- after-sales (after-sales.bpmn) ---
    # --- payment collection (payment-collection.bpmn) ---


@dataclass(frozen=True)
class TaskSpec:
    """What a process owner needs to use a task type in Modeler."""

    name: str  # Chinese, shown in Modeler
    description: str  # Chinese
    module: str  # workers.tasks.<module>
    inputs: tuple[str, ...]  # process variables the worker reads
    outputs: tuple[str, ...]  # process variables the worker sets
    retries: int = 3


TASKS: dict[TaskType, TaskSpec] = {
    # --- door order ---
    TaskType.ORDER_REGISTER: TaskSpec(
        name="登记订单",
        description="系统登记新订单（状态改为已登记），并把订单编号、客户、金额写入流程变量供确认表单使用。",
        module="order_register",
        inputs=("orderId",),
        outputs=("orderNumber", "customerName", "totalAmount", "lineCount"),
    ),
    # --- production ---
    # --- installation ---
    # --- after-sales ---
    # --- payment collection ---
}
