"""The local Camunda engine: fetch the distribution with Maven, configure it, start and stop it.

No Docker here: the distribution archive comes from Maven Central with ``mvn dependency:copy``
into a cache outside git (reused when present); ``CAMUNDA_HOME`` pointing at an unpacked
distribution skips the fetch. Engine records are exported as JSON lines (Zeebe's own
DebugLogExporter routed to a file) so that doorflow can follow user tasks and instances
without a secondary store.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from doorflow.java import find_java_home
from doorflow.settings import LOCAL_ENGINE_VERSION

Progress = Callable[[str], None]
ARTIFACT = "io.camunda:camunda-zeebe:{version}:tar.gz"
APPROX_ARCHIVE_MB = 285


class EngineUnavailable(RuntimeError):
    """The engine cannot be fetched or started; the message says what to do."""


def cache_dir() -> Path:
    """Where archives and unpacked distributions are kept across clones."""
    base = os.environ.get("DOORFLOW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "doorflow"
    )
    return Path(base) / "camunda"


def _dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6 if path.exists() else 0.0


def ensure_distribution(version: str = LOCAL_ENGINE_VERSION, progress: Progress = print) -> Path:
    """Return an unpacked distribution, fetching and unpacking it only when it is missing."""
    home = os.environ.get("CAMUNDA_HOME")
    if home:
        path = Path(home)
        if not (path / "bin" / "broker").exists():
            raise EngineUnavailable(f"CAMUNDA_HOME={home} is not an unpacked Camunda distribution (no bin/broker)")
        return path
    unpacked = cache_dir() / f"camunda-zeebe-{version}"
    if (unpacked / "bin" / "broker").exists():
        return unpacked
    archive = cache_dir() / f"camunda-zeebe-{version}.tar.gz"
    if not archive.exists():
        _fetch(version, archive, progress)
    progress(f"engine: unpacking {archive.name} …")
    staging = cache_dir() / f".unpack-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="tar")
    inner = next(staging.iterdir())
    inner.rename(unpacked)
    shutil.rmtree(staging, ignore_errors=True)
    return unpacked


def _fetch(version: str, archive: Path, progress: Progress) -> None:
    mvn = shutil.which("mvn")
    hint = (
        "Install Maven (`apt-get install maven`) with access to Maven Central, or download the "
        f"Camunda {version} distribution yourself and set CAMUNDA_HOME to its unpacked folder."
    )
    if mvn is None:
        raise EngineUnavailable(f"cannot fetch the Camunda engine: `mvn` is not on PATH. {hint}")
    archive.parent.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACT.format(version=version)
    repo_dir = Path(os.path.expanduser("~/.m2/repository/io/camunda/camunda-zeebe")) / version
    proc = subprocess.Popen(
        [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={archive.parent}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=archive.parent,
    )
    done = threading.Event()

    def report() -> None:
        while not done.wait(3):
            progress(f"engine: fetching {artifact} … {_dir_size_mb(repo_dir):.0f} of ~{APPROX_ARCHIVE_MB} MB")

    threading.Thread(target=report, daemon=True).start()
    output, _ = proc.communicate()
    done.set()
    if proc.returncode != 0 or not archive.exists():
        tail = "\n".join(output.strip().splitlines()[-5:])
        raise EngineUnavailable(f"cannot fetch {artifact} with Maven (exit {proc.returncode}). {hint}\n{tail}")
    progress(f"engine: fetched {archive.name} ({archive.stat().st_size / 1e6:.0f} MB)")


@dataclass
class EngineConfig:
    """Ports and folders of one local engine; tests use free ports and a fresh data folder."""

    work_dir: Path
    grpc_port: int = 26500
    rest_port: int = 8080
    management_port: int = 9600
    command_port: int = 26501
    internal_port: int = 26502
    heap: str = "1g"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.work_dir / "engine.log"

    @property
    def records_file(self) -> Path:
        return self.work_dir / "records.jsonl"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"


def write_config(cfg: EngineConfig) -> tuple[Path, Path]:
    """Write the Spring and log4j configuration; returns (application.yaml, log4j2.xml)."""
    conf = cfg.work_dir / "config"
    conf.mkdir(parents=True, exist_ok=True)
    app = conf / "application.yaml"
    app.write_text(
        f"""# Generated by doorflow for the local engine; edit doorflow/engine.py instead.
server:
  address: 127.0.0.1
  port: {cfg.rest_port}
management:
  server:
    address: 127.0.0.1
    port: {cfg.management_port}
zeebe:
  clock:
    controlled: true
  broker:
    network:
      host: 127.0.0.1
      commandApi:
        port: {cfg.command_port}
      internalApi:
        port: {cfg.internal_port}
    gateway:
      enable: true
      network:
        host: 127.0.0.1
        port: {cfg.grpc_port}
    data:
      directory: {cfg.data_dir}
    exporters:
      records:
        className: io.camunda.zeebe.broker.exporter.debug.DebugLogExporter
        args:
          logLevel: info
          prettyPrint: false
""",
        encoding="utf-8",
    )
    log4j = conf / "log4j2.xml"
    log4j.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <File name="Main" fileName="{cfg.log_file}">
      <PatternLayout pattern="%d{{ISO8601}} %-5level [%t] %logger{{36}} - %msg%n"/>
    </File>
    <File name="Records" fileName="{cfg.records_file}" immediateFlush="true">
      <PatternLayout pattern="%msg%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="io.camunda.zeebe.broker.exporter" level="info" additivity="false">
      <AppenderRef ref="Records"/>
    </Logger>
    <Root level="info"><AppenderRef ref="Main"/></Root>
  </Loggers>
</Configuration>
""",
        encoding="utf-8",
    )
    return app, log4j


class EngineProcess:
    """A running local engine."""

    def __init__(self, cfg: EngineConfig, proc: subprocess.Popen[bytes]) -> None:
        self.cfg = cfg
        self.proc = proc

    def wait_ready(self, timeout_s: float = 300, progress: Progress = print) -> float:
        """Poll the management readiness probe; returns seconds taken."""
        start = time.monotonic()
        last_report = 0.0
        url = f"{self.cfg.management_url}/actuator/health/readiness"
        while True:
            elapsed = time.monotonic() - start
            if self.proc.poll() is not None:
                raise EngineUnavailable(
                    f"the engine exited with code {self.proc.returncode} while starting; see {self.cfg.log_file}"
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    progress(f"engine: ready after {elapsed:.1f}s")
                    return elapsed
            except httpx.HTTPError:
                pass
            if elapsed > timeout_s:
                raise EngineUnavailable(f"the engine was not ready after {timeout_s:.0f}s; see {self.cfg.log_file}")
            if elapsed - last_report >= 5:
                progress(f"engine: starting … {elapsed:.0f}s (log: {self.cfg.log_file})")
                last_report = elapsed
            time.sleep(0.5)

    def stop(self, timeout_s: float = 60) -> None:
        """SIGTERM for a clean shutdown, SIGKILL if it does not come."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_engine(cfg: EngineConfig, distribution: Path) -> EngineProcess:
    """Start the broker with its embedded gateway (gRPC + REST) in the background."""
    taken = [p for p in (cfg.grpc_port, cfg.rest_port, cfg.management_port) if _port_taken(p)]
    if taken:
        raise EngineUnavailable(
            f"port(s) {', '.join(map(str, taken))} already in use: is another doorflow or Camunda running?"
        )
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    app, log4j = write_config(cfg)
    env = dict(os.environ)
    env.update(
        {
            "JAVA_HOME": str(find_java_home()),
            "JAVA_OPTS": f"-Xms256m -Xmx{cfg.heap} -Dlog4j.configurationFile={log4j}",
            "SPRING_CONFIG_ADDITIONAL_LOCATION": str(app),
        }
    )
    env.update(cfg.extra_env)
    out = (cfg.work_dir / "engine.out").open("ab")
    proc = subprocess.Popen(
        [str(distribution / "bin" / "broker")],
        cwd=cfg.work_dir,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return EngineProcess(cfg, proc)
