"""The local process engine: build the Operaton application in ``engine/``, start and stop it.

No Docker here: ``engine/`` is a Maven module (Spring Boot + Operaton 1.0.3) built with the machine's
``mvn`` into a cache outside git, keyed by a hash of the module's files, so it is rebuilt only when
``engine/`` changes. ``DOORFLOW_ENGINE_JAR`` pointing at a built jar skips the build. The engine keeps
its state in its own PostgreSQL database (``operaton``, next to doorflow's), so a restart keeps
instances, tasks and timers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from doorflow.java import JavaNotFound, find_java_home
from doorflow.settings import ROOT, Settings, get_settings

Progress = Callable[[str], None]
ENGINE_SOURCE = ROOT / "engine"
JAR_NAME = "doorflow-engine.jar"
KEEP_BUILDS = 3
# pgjdbc has no unix-socket transport of its own; the engine bundles junixsocket for the embedded server.
UNIX_SOCKET_FACTORY = "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg"
# The settings the diagrams' timers and rules read in the engine at the moment they use them
# (${doorflowSettings.duration('follow_up_delay')}, engine/…/config/DoorflowSettings.java, whose list must match):
# never process variables a task holder could overwrite.
ENGINE_SETTINGS = (
    "follow_up_delay",
    "deposit_reminder_after",
    "production_due_check_interval",
    "order_min_lead_time_days",
)
SETTINGS_FILE = "doorflow-settings.properties"


class EngineUnavailable(RuntimeError):
    """The engine cannot be built or started; the message says what to do."""


def cache_dir() -> Path:
    """Where built engine jars are kept across clones (outside git)."""
    base = os.environ.get("DOORFLOW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "doorflow"
    )
    return Path(base) / "engine"


def _source_files(source: Path) -> list[Path]:
    """What the jar is built from: the pom and src/ (not the Dockerfile, the locale table or target/)."""
    files = [source / "pom.xml", *(p for p in (source / "src").rglob("*") if p.is_file())]
    return sorted((p for p in files if p.is_file()), key=lambda p: p.relative_to(source).as_posix())


def source_hash(source: Path = ENGINE_SOURCE) -> str:
    """Hash of the paths and contents of the files the engine jar is built from."""
    digest = hashlib.sha256()
    for path in _source_files(source):
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _build_lock(progress: Progress) -> Iterator[None]:
    """One build at a time across processes (two test sessions starting together)."""
    lock_path = cache_dir() / ".build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("engine: another process is building the engine, waiting …")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_engine_jar(progress: Progress = print) -> Path:
    """Return the engine application jar, building ``engine/`` with Maven when its files changed."""
    prebuilt = os.environ.get("DOORFLOW_ENGINE_JAR")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise EngineUnavailable(f"DOORFLOW_ENGINE_JAR={prebuilt} is not a file")
        return path
    if not (ENGINE_SOURCE / "pom.xml").exists():
        raise EngineUnavailable(f"no engine module at {ENGINE_SOURCE} (pom.xml missing)")
    jar = cache_dir() / source_hash() / JAR_NAME
    if jar.exists():
        return jar
    with _build_lock(progress):
        if jar.exists():  # built by whoever held the lock
            return jar
        _build(jar, progress)
    _prune(keep=jar.parent)
    return jar


def _build(jar: Path, progress: Progress) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EngineUnavailable(
            "cannot build the engine: `mvn` is not on PATH. Install Maven 3.8+ (`apt-get install maven`) with "
            "access to Maven Central, or build engine/ elsewhere and set DOORFLOW_ENGINE_JAR to the jar."
        )
    try:
        java_home = find_java_home()
    except JavaNotFound as exc:
        raise EngineUnavailable(str(exc)) from exc
    cache_dir().mkdir(parents=True, exist_ok=True)
    # Build in a copy so the repository never gets a target/ folder.
    with tempfile.TemporaryDirectory(prefix=".build-", dir=cache_dir()) as tmp:
        work = Path(tmp) / "engine"
        shutil.copytree(ENGINE_SOURCE, work, ignore=shutil.ignore_patterns("target"))
        env = dict(os.environ, JAVA_HOME=str(java_home))
        start = time.monotonic()
        progress(f"engine: building {ENGINE_SOURCE} with Maven (first build downloads ~110 MB into ~/.m2) …")
        proc = subprocess.Popen(
            [mvn, "-B", "-q", "package", "-DskipTests"],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        done = threading.Event()

        def report() -> None:
            while not done.wait(5):
                progress(f"engine: building … {time.monotonic() - start:.0f}s")

        threading.Thread(target=report, daemon=True).start()
        output, _ = proc.communicate()
        done.set()
        built = work / "target" / JAR_NAME
        if proc.returncode != 0 or not built.exists():
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise EngineUnavailable(
                f"building the engine failed (mvn exit {proc.returncode}); run `cd engine && mvn -B package` "
                f"to see why.\n{tail}"
            )
        jar.parent.mkdir(parents=True, exist_ok=True)
        staged = jar.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(built, staged)
        os.replace(staged, jar)
    progress(f"engine: built {jar} ({jar.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - start:.0f}s")


def _prune(keep: Path) -> None:
    """Keep the newest few builds: each jar is ~77 MB."""
    builds = [p for p in cache_dir().iterdir() if p.is_dir() and (p / JAR_NAME).exists()]
    builds.sort(key=lambda p: (p / JAR_NAME).stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


@dataclass
class EngineConfig:
    """One local engine node; tests use a free port and a fresh work folder."""

    work_dir: Path
    port: int = 8080
    # libpq/SQLAlchemy URL of the engine's own database, e.g. postgresql://u:pw@127.0.0.1:5432/operaton
    # (a unix-socket URL such as postgresql://postgres:@/operaton?host=/run/pg works too).
    db_url: str = ""
    heap: str = "1g"
    clock_control: bool = False  # tests only: /doorflow/clock
    test_mode: bool = False  # job executor polls every 0.5-1 s
    node_name: str = "node-1"
    job_lock_time_ms: int = 60000
    extra_props: dict[str, str] = field(default_factory=dict)
    # Where ENGINE_SETTINGS' values come from (None: the process's DOORFLOW_* configuration, get_settings()).
    settings: Settings | None = None

    @property
    def log_file(self) -> Path:
        return self.work_dir / "engine.log"

    @property
    def settings_file(self) -> Path:
        """The engine's settings file: written at each start, read by the engine whenever it changes."""
        return self.work_dir / SETTINGS_FILE

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return self.url + "/engine-rest"


@dataclass
class JdbcTarget:
    """A database URL in the form the engine's datasource takes."""

    url: str
    username: str
    password: str


def to_jdbc(db_url: str) -> JdbcTarget:
    """Convert a libpq/SQLAlchemy PostgreSQL URL to a JDBC URL plus user and password."""
    parts = urlsplit(db_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise EngineUnavailable(f"the engine needs a PostgreSQL URL, got {db_url!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = unquote(parts.hostname or "") or query.pop("host", "")
    port = parts.port or int(query.pop("port", "5432"))
    database = unquote(parts.path.lstrip("/")) or "postgres"
    params: dict[str, str] = {}
    if "sslmode" in query:
        params["sslmode"] = query["sslmode"]
    if host.startswith("/"):
        params["socketFactory"] = UNIX_SOCKET_FACTORY
        params["socketFactoryArg"] = f"{host}/.s.PGSQL.{port}"
        host = "localhost"
    host = host or "localhost"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    url = f"jdbc:postgresql://{host}:{port}/{database}"
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return JdbcTarget(url, unquote(parts.username or "postgres"), unquote(parts.password or ""))


class EngineProcess:
    """A running engine node (a JVM in its own process group)."""

    def __init__(self, cfg: EngineConfig, proc: subprocess.Popen[bytes]) -> None:
        self.cfg = cfg
        self.proc = proc

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.cfg.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def wait_ready(self, timeout_s: float = 300, progress: Progress = print) -> float:
        """Poll the readiness probe (UP once identities are in place); returns seconds taken."""
        start = time.monotonic()
        last_report = 0.0
        url = f"{self.cfg.url}/actuator/health/readiness"
        while True:
            elapsed = time.monotonic() - start
            if self.proc.poll() is not None:
                raise EngineUnavailable(
                    f"the engine exited with code {self.proc.returncode} while starting; see {self.cfg.log_file}\n"
                    + self._log_tail()
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    progress(f"engine: {self.cfg.node_name} ready after {elapsed:.1f}s at {self.cfg.url}")
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
        """SIGTERM for a clean shutdown (jobs unlocked), SIGKILL if it does not come."""
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9: the node dies holding its locks, as in a crash (failover tests)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def engine_properties(cfg: EngineConfig, jdbc: JdbcTarget) -> dict[str, str]:
    """Spring properties of one node (see engine/src/main/resources/application.yaml)."""
    props = {
        "server.address": "127.0.0.1",
        "server.port": str(cfg.port),
        "spring.datasource.url": jdbc.url,
        "spring.datasource.username": jdbc.username,
        "doorflow.node-name": cfg.node_name,
        "doorflow.test-mode": str(cfg.test_mode).lower(),
        "doorflow.clock-control": str(cfg.clock_control).lower(),
        "operaton.bpm.job-execution.lock-time-in-millis": str(cfg.job_lock_time_ms),
        "doorflow.settings-file": str(cfg.settings_file),
    }
    props.update(cfg.extra_props)
    return props


def engine_settings(settings: Settings) -> dict[str, str]:
    """ENGINE_SETTINGS' values as the engine reads them (ISO-8601 durations, whole numbers)."""
    return {name: str(getattr(settings, name)) for name in ENGINE_SETTINGS}


def write_settings_file(path: Path, values: dict[str, str]) -> None:
    """Write the engine's settings file (Java properties, ASCII) in one step: the engine never reads half a file."""
    lines = ["# doorflow settings the engine's timers and rules read when they use them (doorflow/engine.py)."]
    for name, value in values.items():
        if not value.isascii() or "\n" in value:
            raise EngineUnavailable(f"setting {name} must be one line of ASCII, got {value!r}")
        lines.append(f"{name}={value}")
    staged = path.with_suffix(f".{os.getpid()}.tmp")
    staged.write_text("\n".join(lines) + "\n", encoding="ascii")
    os.replace(staged, path)


def start_engine(cfg: EngineConfig, jar: Path) -> EngineProcess:
    """Start one engine node in the background, bound to loopback, logging to ``cfg.log_file``."""
    if not cfg.db_url:
        raise EngineUnavailable("EngineConfig.db_url is empty: the engine needs its PostgreSQL database")
    if _port_taken(cfg.port):
        raise EngineUnavailable(
            f"port {cfg.port} is already in use on 127.0.0.1: is another doorflow engine running? "
            "Stop it or choose another port."
        )
    try:
        java = find_java_home() / "bin" / "java"
    except JavaNotFound as exc:
        raise EngineUnavailable(str(exc)) from exc
    jdbc = to_jdbc(cfg.db_url)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    write_settings_file(cfg.settings_file, engine_settings(cfg.settings or get_settings()))
    env = dict(os.environ)
    # The password goes through the environment, not the command line (visible in `ps`).
    env["SPRING_DATASOURCE_PASSWORD"] = jdbc.password
    args = [
        str(java),
        "-Xms256m",
        f"-Xmx{cfg.heap}",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dfile.encoding=UTF-8",
        "-jar",
        str(jar),
        *(f"--{key}={value}" for key, value in engine_properties(cfg, jdbc).items()),
    ]
    log = cfg.log_file.open("ab")
    try:
        proc = subprocess.Popen(
            args, cwd=cfg.work_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        log.close()
    return EngineProcess(cfg, proc)
