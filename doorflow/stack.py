"""Bring the whole local stack up and down: store, engine, deployment, workers, API.

Used by the run command and by the tests, so that both exercise the same start-up path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from doorflow import engine as local_engine
from doorflow.engine import EngineConfig, EngineProcess, Progress
from doorflow.operaton import OperatonClient
from doorflow.ports import free_port as free_port  # the one home of the port choice; used as stack.free_port
from doorflow.settings import ROOT
from doorflow.store import create_database, migrate, start_embedded_postgres

DEPLOYABLE = ("*.bpmn", "*.dmn", "*.form")


def deployable_resources(root: Path = ROOT / "bpmn") -> list[Path]:
    """Every diagram, decision table and form under ``bpmn/``."""
    return sorted(p for pattern in DEPLOYABLE for p in root.rglob(pattern) if "node_modules" not in p.parts)


def deploy_all(engine: OperatonClient, root: Path = ROOT / "bpmn") -> list[str]:
    """Deploy everything in one deployment; the engine keeps unchanged resources at their version."""
    resources = deployable_resources(root)
    engine.deploy(resources)
    return [p.name for p in resources]


def database_urls(state_dir: Path) -> tuple[str, str]:
    """doorflow's database (migrated to head) and the engine's own ``operaton`` database on the same server.

    ``DATABASE_URL`` names doorflow's database on a given server; unset, an embedded PostgreSQL under
    ``state_dir`` serves both. ``ENGINE_DATABASE_URL`` may name the engine's database elsewhere.
    """
    url = os.environ.get("DATABASE_URL") or start_embedded_postgres(state_dir / "postgres")
    migrate(url)
    engine_url = os.environ.get("ENGINE_DATABASE_URL") or create_database(url, "operaton")
    return url, engine_url


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def restart(self) -> None:
        """Start the same command again (same environment, same log, appended)."""
        self.stop()
        with self.log.open("ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} restarted by doorflow ---\n".encode())
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self, timeout_s: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Child:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    out = log.open("ab")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Child(name, proc, log, list(args), dict(env))


def describe_exit(code: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL`` (Popen reports a signal as a negative code)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Watched:
    """A process the run command keeps an eye on; ``restart`` None means its end stops everything."""

    name: str
    poll: Callable[[], int | None]
    log: Path
    restart: Callable[[], None] | None = None


class Supervisor:
    """Notices at once when a process of the local stack ends (``poll`` also reaps it: no zombie).

    Workers, API and mail sink hold no state of their own, so one that dies is restarted, at most
    ``max_restarts`` times with a doubling wait. The engine is not restarted (a start takes a minute
    and needs the readiness wait): its end, or a process that keeps dying, stops everything with a
    message that says which process ended, how, and where its log is.
    """

    def __init__(
        self,
        say: Callable[[str], None],
        max_restarts: int = 3,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.say, self.max_restarts, self.backoff_s, self.sleep = say, max_restarts, backoff_s, sleep
        self.watched: list[Watched] = []
        self.restarts: dict[str, int] = {}

    def watch(self, watched: Watched) -> None:
        self.watched.append(watched)
        self.restarts.setdefault(watched.name, 0)

    def watch_child(self, child: Child, restart: bool = True) -> None:
        self.watch(Watched(child.name, lambda: child.proc.poll(), child.log, child.restart if restart else None))

    def check(self) -> str | None:
        """Look at every process once; restart what may be restarted. Returns why to stop, or None."""
        for watched in self.watched:
            code = watched.poll()
            if code is None:
                continue
            how = f"{watched.name} {describe_exit(code)} (log: {watched.log})"
            if watched.restart is None:
                return f"{how}; it is not restarted, so everything stops now. Start again with ./dev run."
            done = self.restarts[watched.name]
            if done >= self.max_restarts:
                return f"{how} again after {done} restarts; giving up, so everything stops now. See its log."
            delay = self.backoff_s * 2**done
            self.say(f"{how}; restarting it in {delay:g}s (restart {done + 1} of {self.max_restarts})")
            self.sleep(delay)
            watched.restart()
            self.restarts[watched.name] = done + 1
        return None

    def run(self, interval_s: float = 0.5) -> str:
        """Watch until a process ends for good; says and returns why."""
        while True:
            reason = self.check()
            if reason is not None:
                self.say(reason)
                return reason
            self.sleep(interval_s)


def child_env(db_url: str, engine_url: str, api_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": db_url,
            "ENGINE_URL": engine_url,
            "DOORFLOW_API_PORT": str(api_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # glibc gives each thread of a process its own heap arena and keeps what it frees: with 8 handler
    # threads laying out PDFs a worker measured 1,019 MB of RSS, with 2 arenas 463 MB (the Dockerfile too).
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def start_workers(env: dict[str, str], log_dir: Path) -> Child:
    return spawn("workers", [sys.executable, "-m", "workers.main"], env, log_dir)


def start_api(env: dict[str, str], port: int, log_dir: Path) -> Child:
    """The API on loopback only: the local stack is for this machine (docker compose publishes it)."""
    args = [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    return spawn("api", args, env, log_dir)


def wait_http(url: str, timeout_s: float, child: Child | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode}; see {child.log}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


@contextmanager
def running_engine(cfg: EngineConfig, progress: Progress = print) -> Iterator[EngineProcess]:
    """Build the engine application if ``engine/`` changed, start it, wait for readiness, and always stop."""
    jar = local_engine.ensure_engine_jar(progress=progress)
    proc = local_engine.start_engine(cfg, jar)
    try:
        proc.wait_ready(progress=progress)
        yield proc
    finally:
        proc.stop()


def system_client(cfg: EngineConfig) -> OperatonClient:
    """The engine client as doorflow's system user (credentials from the settings/environment)."""
    from doorflow.settings import get_settings

    settings = get_settings()
    return OperatonClient(cfg.url, settings.engine_user, settings.engine_password, settings.engine_request_timeout_s)
