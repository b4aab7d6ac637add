"""The two-node cluster of the failover test (tests/test_cluster.py) lives in :mod:`doorflow.cluster`,
shared with the fault suite (``./dev faults``); this module keeps the tests' imports short."""

from __future__ import annotations

from doorflow.cluster import (
    CLUSTER_DATABASE,
    JOB_LOCK_MS,
    WORKER_TASK_LOCK_MS,
    Cluster,
    DrivenOrder,
    Node,
    already_done_ids,
    business_effects,
    drive_round_robin,
    locked_tasks,
    quiet,
    running_cluster,
    unreported_ids,
    worker_commits_held,
)

__all__ = [
    "CLUSTER_DATABASE",
    "JOB_LOCK_MS",
    "WORKER_TASK_LOCK_MS",
    "Cluster",
    "DrivenOrder",
    "Node",
    "already_done_ids",
    "business_effects",
    "drive_round_robin",
    "locked_tasks",
    "quiet",
    "running_cluster",
    "unreported_ids",
    "worker_commits_held",
]
