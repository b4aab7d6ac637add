"""The benchmark run: starts its own stack, runs the phases, writes JSON and prints the table."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from doorflow import identity, stack
from doorflow.bench import probe, report
from doorflow.bench.driver import Clock, Driver
from doorflow.demo import order_body
from doorflow.engine import EngineConfig, EngineProcess, ensure_engine_jar, start_engine
from doorflow.operaton import OperatonClient
from doorflow.settings import ROOT, get_settings
from doorflow.store import create_database, migrate, start_embedded_postgres
from models.db import PING
from workers.main import COMMITS_LOG
from workers.runtime import SERVICE_TASK_COMMITS

Say = Callable[[str], None]
# Locks outlive every clock move (a move is a follow-up delay, 7 days by default): a move must not
# expire the lock of a task or job in flight. 20 days fits the job executor's int milliseconds.
LOCK_MS = 20 * 86_400_000
PARTS = ("lifecycle", "noop", "steps", "cluster", "api")
RESULTS_DIR = ROOT / "bench-results"


@dataclass
class Options:
    orders: int = 24
    window: int = 8
    step_seconds: float = 90.0
    api_seconds: float = 20.0
    api_rate: float = 50.0
    phase_timeout_s: float = 420.0
    parts: tuple[str, ...] = PARTS
    quick: bool = False

    @classmethod
    def quick_run(cls, parts: tuple[str, ...] = PARTS) -> Options:
        return cls(
            orders=4, window=4, step_seconds=20.0, api_seconds=5.0, phase_timeout_s=240.0, parts=parts, quick=True
        )


def api_credentials() -> tuple[str, str]:
    """Who the benchmark is to doorflow's API: the system user (password from the environment)."""
    return identity.credentials("doorflow")


def api_client(base_url: str, timeout_s: float = 30.0, connections: int = 20) -> httpx.Client:
    """Every HTTP client of the benchmark for doorflow's API is made here."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.Client(base_url=base_url, timeout=timeout_s, auth=api_credentials(), limits=limits)


@dataclass
class Stack:
    """The benchmark's own stack: embedded PostgreSQL, engine node(s), workers per node, the API."""

    work: Path
    db_url: str
    engine_db_url: str
    nodes: list[tuple[EngineConfig, EngineProcess, OperatonClient]] = field(default_factory=list)
    workers: list[stack.Child] = field(default_factory=list)
    api: stack.Child | None = None
    api_url: str = ""

    def engines(self) -> list[OperatonClient]:
        return [client for _, _, client in self.nodes]

    def components(self) -> dict[str, probe.Pids]:
        pg_dir = self.work / "postgres" / "data"

        def alive(child: stack.Child | None) -> list[int]:
            return [child.proc.pid] if child is not None and child.proc.poll() is None else []

        comps: dict[str, probe.Pids] = {}
        for i in range(2):
            comps[f"engine-{i + 1}"] = lambda i=i: (  # type: ignore[misc]
                [self.nodes[i][1].proc.pid] if i < len(self.nodes) and self.nodes[i][1].proc.poll() is None else []
            )
        comps["postgres"] = lambda: probe.postgres_pids(pg_dir)
        comps["workers"] = lambda: [pid for w in self.workers for pid in alive(w)]
        comps["api"] = lambda: alive(self.api)
        comps["bench"] = lambda: [os.getpid()]  # the simulated staff and systems (this process)
        return comps


def _worker_env(st: Stack, engine_url: str, noop: bool) -> dict[str, str]:
    env = stack.child_env(st.db_url, engine_url, api_port=0)
    env["DOORFLOW_TASK_LOCK_MS"] = str(LOCK_MS)
    env["DOORFLOW_WORKER_NOOP"] = "true" if noop else "false"
    env.pop("DOORFLOW_SMTP_HOST", None)
    return env


def _wait_serving(child: stack.Child, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while "serving" not in child.log.read_text(encoding="utf-8", errors="replace"):
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited; see {child.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{child.name} did not start within {timeout_s}s; see {child.log}")
        time.sleep(0.3)


def start_node(st: Stack, say: Say) -> OperatonClient:
    n = len(st.nodes) + 1
    cfg = EngineConfig(
        work_dir=st.work / f"node-{n}",
        port=stack.free_port(),
        db_url=st.engine_db_url,
        clock_control=True,
        test_mode=True,
        node_name=f"node-{n}",
        job_lock_time_ms=LOCK_MS,
    )
    proc = start_engine(cfg, ensure_engine_jar(progress=say))
    try:
        proc.wait_ready(progress=say)
    except Exception:
        proc.stop()
        raise
    client = stack.system_client(cfg)
    st.nodes.append((cfg, proc, client))
    return client


def start_workers(st: Stack, node: int, noop: bool) -> stack.Child:
    cfg = st.nodes[node][0]
    name = f"workers-{node + 1}{'-noop' if noop else ''}"
    child = stack.spawn(name, [sys.executable, "-m", "workers.main"], _worker_env(st, cfg.url, noop), st.work)
    _wait_serving(child)
    return child


def worker_id(child: stack.Child) -> str:
    """The id a worker process fetches and locks under, from its ``serving`` line."""
    found = re.search(r"workers (\S+): serving", child.log.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        raise RuntimeError(f"{child.name} did not log its worker id; see {child.log}")
    return found.group(1)


def worker_commits(st: Stack, timeout_s: float = 15.0) -> dict[str, int]:
    """The store commits of the live real worker processes so far, by purpose, summed over the processes.

    Each process counts its own commits (``models.db.CommitCounter``) and logs them on SIGUSR1.
    """
    total: Counter[str] = Counter()
    for w in st.workers:
        if w.proc.poll() is not None or w.env.get("DOORFLOW_WORKER_NOOP") == "true":
            continue
        seen = w.log.read_text(encoding="utf-8", errors="replace").count(COMMITS_LOG)
        os.kill(w.proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout_s
        while True:
            text = w.log.read_text(encoding="utf-8", errors="replace")
            if text.count(COMMITS_LOG) > seen:
                line = text[text.rindex(COMMITS_LOG) + len(COMMITS_LOG) :].splitlines()[0]
                total.update(json.loads(line))
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{w.name} did not log its commits within {timeout_s}s; see {w.log}")
            time.sleep(0.1)
    return dict(total)


def retire_workers(st: Stack, say: Say) -> int:
    """Stop every worker process and give back the tasks their last long poll locked after they left.

    A stopped worker abandons its pending fetch, but the engine does not notice: it answers that poll
    when tasks appear within its timeout and locks them to the dead worker. Production waits for the
    lock to expire; the benchmark's locks outlive every clock move (``LOCK_MS``), so such a task would
    never be done. The poll is waited out, then the tasks still locked by the stopped workers are unlocked.
    """
    ids = {worker_id(w) for w in st.workers}
    for w in st.workers:
        w.stop()
    st.workers = []
    time.sleep(get_settings().worker_long_poll_ms / 1000 + 2)
    unlocked = 0
    for engine in st.engines():
        for wid in sorted(ids):
            for task in engine.get("/external-task", workerId=wid, locked="true"):
                engine.call("POST", f"/external-task/{task['id']}/unlock")
                unlocked += 1
    if unlocked:
        say(f"bench: {unlocked} task(s) locked by the stopped workers after they left were unlocked")
    return unlocked


@contextlib.contextmanager
def bench_stack(work: Path, say: Say) -> Iterator[Stack]:
    say(f"bench: starting PostgreSQL, the engine, the workers and the API (own state under {work}) …")
    db_url = start_embedded_postgres(work / "postgres")
    migrate(db_url)
    st = Stack(work, db_url, create_database(db_url, "operaton"))
    try:
        engine = start_node(st, say)
        stack.deploy_all(engine)
        st.workers.append(start_workers(st, 0, noop=False))
        port = stack.free_port()
        st.api = stack.start_api(stack.child_env(db_url, st.nodes[0][0].url, port), port, work)
        st.api_url = f"http://127.0.0.1:{port}"
        stack.wait_http(f"{st.api_url}/health/live", 120, st.api)
        yield st
    finally:
        if st.api is not None:
            st.api.stop()
        for w in st.workers:
            w.stop()
        for _, proc, client in reversed(st.nodes):
            client.close()
            proc.stop()


class Phase:
    """Measures one phase: wall time, CPU per component, peak memory, store commits, engine counts."""

    def __init__(self, name: str, st: Stack, pr: probe.Probe, clock: Clock) -> None:
        self.name, self.st, self.pr, self.clock = name, st, pr, clock

    def __enter__(self) -> Phase:
        self.pr.reset_peaks()
        self.cpu0 = self.pr.cpu()
        self.commits0 = probe.commits(self.st.db_url)
        self.worker_commits0 = worker_commits(self.st)
        self.engine_from = self.clock.now_text()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall_s = time.monotonic() - self.t0
        self.engine_to = self.clock.now_text()
        self.cpu1 = self.pr.cpu()
        self.peaks = self.pr.peaks()

    def finish(self, settle_s: float = 11.0) -> dict[str, Any]:
        """The phase's figures; waits ``settle_s`` first: PostgreSQL publishes idle backends' counts within 10 s."""
        time.sleep(settle_s)
        commits = probe.commits(self.st.db_url) - self.commits0
        worker1 = worker_commits(self.st)
        by_purpose = {k: v - self.worker_commits0.get(k, 0) for k, v in sorted(worker1.items())}
        # What the workers did not commit: the API (the simulated systems' calls, order intake), this
        # benchmark's own reads of the statistics, autovacuum.
        by_purpose["not the workers"] = commits - sum(by_purpose.values())
        engine = self.st.engines()[0]
        counts = {}
        for kind in ("serviceTask", "userTask"):
            counts[kind] = int(
                engine.get(
                    "/history/activity-instance/count",
                    activityType=kind,
                    finishedAfter=self.engine_from,
                    finishedBefore=self.engine_to,
                )["count"]
            )
        cpu = {k: round(self.cpu1.get(k, 0.0) - self.cpu0.get(k, 0.0), 2) for k in self.cpu1}

        def per_task(n: int) -> float | None:
            return round(n / counts["serviceTask"], 2) if counts["serviceTask"] else None

        return {
            "wall_s": round(self.wall_s, 1),
            "service_tasks": counts["serviceTask"],
            "user_tasks": counts["userTask"],
            "store_commits": commits,
            "store_commits_by_purpose": by_purpose,
            "commits_per_service_task": per_task(
                by_purpose.get(SERVICE_TASK_COMMITS, 0) + by_purpose.get(SERVICE_TASK_COMMITS + PING, 0)
            ),
            "all_commits_per_service_task": per_task(commits),
            "cpu_s": cpu,
            "cpu_share": {k: round(v, 3) for k, v in report.cpu_shares(cpu).items()},
            **self.peaks,
            "engine_window": [self.engine_from, self.engine_to],
        }


def service_step_ms(engine: OperatonClient, started_after: str, finished_before: str) -> list[float]:
    """How long each external service task took from being created (available) to being completed."""
    out: list[float] = []
    first = 0
    while True:
        rows = engine.get(
            "/history/activity-instance",
            activityType="serviceTask",
            startedAfter=started_after,
            finishedBefore=finished_before,
            firstResult=first,
            maxResults=1000,
        )
        out.extend(float(r["durationInMillis"]) for r in rows if r.get("durationInMillis") is not None)
        if len(rows) < 1000:
            return out
        first += 1000


def lifecycle(
    name: str, st: Stack, pr: probe.Probe, clock: Clock, mode: str, opts: Options, say: Say, api: httpx.Client | None
) -> dict[str, Any]:
    say(f"bench: phase {name}: {opts.orders} orders, {opts.window} in flight, {len(st.nodes)} engine node(s), {mode}")
    driver = Driver(st.engines(), clock, mode, api, run_id=name)
    with Phase(name, st, pr, clock) as phase:
        driver.drive(opts.orders, opts.phase_timeout_s, window=opts.window, say=say)
    driver.close()
    out = phase.finish()
    done = [o for o in driver.orders if o.done_at is not None and not o.error]
    walls = [o.done_at - o.created_at for o in done if o.done_at is not None]
    span = (max(o.done_at for o in done if o.done_at) - min(o.created_at for o in driver.orders)) if done else 0.0
    out.update(
        {
            "mode": mode,
            "nodes": len(st.nodes),
            "orders": len(driver.orders),
            "orders_completed": len(done),
            "orders_failed": sum(1 for o in driver.orders if o.error),
            "orders_per_hour": round(len(done) / span * 3600, 1) if span else None,
            "user_tasks_per_s": round(out["user_tasks"] / phase.wall_s, 2),
            "service_tasks_per_s": round(out["service_tasks"] / phase.wall_s, 2),
            "wall_per_order_s": report.summary(walls) | {"mean": statistics.fmean(walls) if walls else None},
            "clock_moves": driver.counters.clock_moves,
            "driver": driver.counters.snapshot(),
            "intake_errors": [o.error for o in driver.orders if o.error][:5],
            "open_incidents": int(st.engines()[0].get("/incident/count")["count"]),
            "service_step_ms_max_load": report.summary(
                [d for d in service_step_ms(st.engines()[0], *out["engine_window"]) if d < 3_600_000]
            ),
        }
    )
    say(
        f"bench: phase {name}: {len(done)}/{len(driver.orders)} orders in {phase.wall_s:.0f}s, "
        f"{out['orders_per_hour']} orders/h"
    )
    return out


def steps_at_half_load(
    st: Stack, pr: probe.Probe, clock: Clock, opts: Options, say: Say, api: httpx.Client, max_per_h: float
) -> dict[str, Any]:
    rate = max_per_h / 2 / 3600
    say(
        f"bench: phase steps: real orders arriving at {rate * 3600:.0f}/h (half of {max_per_h:.0f}/h) "
        f"for {opts.step_seconds:.0f}s"
    )
    driver = Driver(st.engines(), clock, "real", api, run_id="steps")
    driver.timers_allowed = False  # no clock move while the steps are measured: history's times stay true
    window: dict[str, str] = {}
    start_text = clock.now_text()

    def quiet() -> None:
        window["to"] = clock.now_text()

    with Phase("steps", st, pr, clock) as phase:
        driver.drive(0, opts.phase_timeout_s, rate_per_s=rate, arrivals_s=opts.step_seconds, on_quiet=quiet, say=say)
    driver.close()
    out = phase.finish()
    durations = service_step_ms(st.engines()[0], start_text, window.get("to", phase.engine_to))
    out.update(
        {
            "arrival_rate_per_h": round(rate * 3600, 1),
            "orders": len(driver.orders),
            "orders_completed": sum(1 for o in driver.orders if o.done_at is not None and not o.error),
            "service_task_ms": report.summary(durations),
        }
    )
    return out


def api_latency(st: Stack, pr: probe.Probe, clock: Clock, opts: Options, say: Say) -> dict[str, Any]:
    """POST /orders at a steady rate (open loop: each request is sent at its time, whatever the others do)."""
    total = int(opts.api_seconds * opts.api_rate)
    say(f"bench: phase api: {total} order creations at {opts.api_rate:g} requests/s")
    intended: list[float] = [0.0] * total
    latency: list[float | None] = [None] * total
    service: list[float | None] = [None] * total
    errors: list[str] = []
    lock = threading.Lock()
    with api_client(st.api_url, timeout_s=60, connections=64) as client, Phase("api", st, pr, clock) as phase:

        def send(i: int) -> None:
            sent = time.monotonic()
            try:
                response = client.post("/orders", json=order_body(i, {"requested_delivery_date": "2099-06-30"}))
                ok = response.status_code == 201
                detail = f"{response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                ok, detail = False, str(exc)
            end = time.monotonic()
            if ok:
                latency[i] = (end - intended[i]) * 1000
                service[i] = (end - sent) * 1000
            else:
                with lock:
                    errors.append(detail)

        start = time.monotonic() + 0.2
        with ThreadPoolExecutor(max_workers=64, thread_name_prefix="bench-api") as pool:
            for i in range(total):
                intended[i] = start + i / opts.api_rate
                delay = intended[i] - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, i)
    out = phase.finish(settle_s=0)
    ok = [v for v in latency if v is not None]
    out.update(
        {
            "rate_per_s": opts.api_rate,
            "requests": total,
            "errors": len(errors),
            "error_samples": errors[:5],
            "latency_ms": report.summary(ok),
            "service_ms": report.summary([v for v in service if v is not None]),
        }
    )
    return out


def derive(results: dict[str, Any]) -> dict[str, Any]:
    phases = results["phases"]
    real, noop, two = phases.get("lifecycle-1-node"), phases.get("noop-1-node"), phases.get("lifecycle-2-nodes")
    d: dict[str, Any] = {}
    if real and noop and real.get("orders_per_hour") and noop.get("orders_per_hour"):
        d["noop_ratio"] = round(real["orders_per_hour"] / noop["orders_per_hour"], 3)
        d["noop_ratio_service_tasks_per_s"] = round(real["service_tasks_per_s"] / noop["service_tasks_per_s"], 3)
    if real:
        d["commits_per_service_task"] = real.get("commits_per_service_task")
        d["all_commits_per_service_task"] = real.get("all_commits_per_service_task")
    if real and two and real.get("orders_per_hour") and two.get("orders_per_hour"):
        d["two_node_speedup"] = round(two["orders_per_hour"] / real["orders_per_hour"], 3)
    peaks = [p["stack_rss_mb"] for p in phases.values() if "stack_rss_mb" in p]
    if peaks:
        d["stack_peak_rss_mb"] = max(peaks)
    pss_peaks = [p["stack_pss_mb"] for p in phases.values() if "stack_pss_mb" in p]
    if pss_peaks:
        d["stack_peak_pss_mb"] = max(pss_peaks)
    return d


def print_tables(results: dict[str, Any], say: Say) -> None:
    phases = results["phases"]
    rows = []
    for name, p in phases.items():
        wall = p.get("wall_per_order_s") or {}
        rows.append(
            [
                name,
                p.get("orders_completed"),
                p.get("wall_s"),
                p.get("orders_per_hour"),
                p.get("user_tasks_per_s"),
                p.get("service_tasks_per_s"),
                wall.get("p50"),
                p.get("commits_per_service_task"),
                p.get("all_commits_per_service_task"),
                p.get("stack_rss_mb"),
            ]
        )
    heads = [
        "phase",
        "orders",
        "wall s",
        "orders/h",
        "user t/s",
        "svc t/s",
        "s/order p50",
        "task commits/svc",
        "all commits/svc",
        "RSS MB",
    ]
    print(report.table(heads, rows))
    print()
    purposes = sorted({k for p in phases.values() for k in p.get("store_commits_by_purpose", {})})
    rows = [
        [name, p["service_tasks"], p["store_commits"], *(p["store_commits_by_purpose"].get(k) for k in purposes)]
        for name, p in phases.items()
        if "store_commits_by_purpose" in p
    ]
    print(report.table(["store commits", "svc tasks", "all", *purposes], rows))
    print()
    comps = sorted({c for p in phases.values() for c in p.get("cpu_s", {})})
    rows = [
        [name, *(f"{p['cpu_s'].get(c, 0):.0f}s {p['cpu_share'].get(c, 0):.0%}" for c in comps)]
        for name, p in phases.items()
        if "cpu_s" in p
    ]
    print(report.table(["CPU (s, share)", *comps], rows))
    rows = [[name, *(p.get("rss_mb", {}).get(c) for c in comps)] for name, p in phases.items() if "rss_mb" in p]
    print(report.table(["peak RSS MB", *comps], rows))
    print()
    steps = results.get("steps", {}).get("service_task_ms", {})
    api = results.get("api", {}).get("latency_ms", {})
    print(
        "per-step overhead (service task available → completed) at half load: "
        f"p50 {report.fmt(steps.get('p50'))} ms, p99 {report.fmt(steps.get('p99'))} ms, n={steps.get('count')}"
    )
    rate = results.get("api", {}).get("rate_per_s", "—")
    print(f"order creation at {rate} req/s: p50 {report.fmt(api.get('p50'))} ms, p99 {report.fmt(api.get('p99'))} ms")
    print()
    rows = [[v["name"], v["limit"], v["measured"], v["verdict"]] for v in results["targets"]]
    print(report.table(["target (this machine)", "limit", "measured", "verdict"], rows))


def run(opts: Options, say: Say) -> int:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = ROOT / ".doorflow" / "bench" / stamp
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": asdict(opts),
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "logs": str(work),
        "phases": {},
    }
    started = time.monotonic()
    # atexit runs last-in first-out: the server (whose stop its start registers) stops before its folder
    # goes; removed while it runs, it could not be stopped and would linger until it notices.
    atexit.register(shutil.rmtree, work / "postgres", ignore_errors=True)
    try:
        with bench_stack(work, say) as st:
            results["startup_s"] = round(time.monotonic() - started, 1)
            clock = Clock(st.engines())
            pr = probe.Probe(st.components())
            pr.start()
            try:
                with api_client(st.api_url) as api:
                    _phases(st, pr, clock, opts, say, api, results)
            finally:
                pr.stop()
            results["clock_offset_days"] = round(clock.offset_ms / 86_400_000, 1)
    finally:
        results["total_s"] = round(time.monotonic() - started, 1)
        results["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["derived"] = derive(results) if results["phases"] else {}
        results["targets"] = report.verdicts(results)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{stamp}.json"
        out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if results["phases"]:
            print_tables(results, say)
        say(f"bench: results in {out.relative_to(ROOT)} (logs in {work}); {results['total_s']:.0f}s in all")
    return 0


def _phases(
    st: Stack, pr: probe.Probe, clock: Clock, opts: Options, say: Say, api: httpx.Client, results: dict[str, Any]
) -> None:
    phases = results["phases"]
    if "lifecycle" in opts.parts:
        phases["lifecycle-1-node"] = lifecycle("lifecycle-1-node", st, pr, clock, "real", opts, say, api)
    if "steps" in opts.parts:
        max_per_h = (phases.get("lifecycle-1-node") or {}).get("orders_per_hour") or 120.0
        results["steps"] = phases["steps"] = steps_at_half_load(st, pr, clock, opts, say, api, max_per_h)
    if "noop" in opts.parts:
        unlocked = retire_workers(st, say)
        st.workers = [start_workers(st, 0, noop=True)]
        phases["noop-1-node"] = lifecycle("noop-1-node", st, pr, clock, "noop", opts, say, None)
        unlocked += retire_workers(st, say)
        st.workers = [start_workers(st, 0, noop=False)]
        results["tasks_unlocked_after_worker_swap"] = unlocked
    if "cluster" in opts.parts:
        say("bench: starting a second engine node on the same engine database …")
        clock.sync(start_node(st, say))
        st.workers.append(start_workers(st, 1, noop=False))
        phases["lifecycle-2-nodes"] = lifecycle("lifecycle-2-nodes", st, pr, clock, "real", opts, say, api)
    if "api" in opts.parts:
        results["api"] = phases["api"] = api_latency(st, pr, clock, opts, say)
