"""What the benchmark reads from the machine: CPU seconds and peak memory per component, store commits."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg

MB = 1024 * 1024
Pids = Callable[[], list[int]]


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster (first line of ``postmaster.pid``) and every backend it forked."""
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
        proc = psutil.Process(master)
        return [master, *(c.pid for c in proc.children(recursive=True))]
    except (OSError, ValueError, IndexError, psutil.Error):
        return []


def _cpu_s(pid: int, with_reaped_children: bool) -> float:
    times = psutil.Process(pid).cpu_times()
    own = float(times.user + times.system)
    # The postmaster reaps its backends: their CPU stays counted in its children_* after they exit.
    return own + (times.children_user + times.children_system if with_reaped_children else 0.0)


class Probe:
    """CPU seconds (cumulative, read at phase boundaries) and peak RSS (sampled) per component.

    PostgreSQL is many processes that share their buffers: its RSS is summed over them (an
    overestimate: shared pages count once per process) and its PSS (each shared page split among
    the processes that map it) is kept too.
    """

    def __init__(self, components: dict[str, Pids], interval_s: float = 1.0) -> None:
        self.components = components
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._peak: dict[str, float] = {}
        self._peak_pss: dict[str, float] = {}
        self._peak_total = 0.0
        self._peak_pss_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_loop, name="bench-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def cpu(self) -> dict[str, float]:
        """Cumulative CPU seconds of each component's live processes (and PostgreSQL's exited backends)."""
        out: dict[str, float] = {}
        for name, pids in self.components.items():
            total = 0.0
            found = pids()
            for i, pid in enumerate(found):
                with contextlib.suppress(psutil.Error):
                    total += _cpu_s(pid, with_reaped_children=(name == "postgres" and i == 0))
            out[name] = total
        return out

    def reset_peaks(self) -> None:
        with self._lock:
            self._peak, self._peak_pss, self._peak_total, self._peak_pss_total = {}, {}, 0.0, 0.0

    def peaks(self) -> dict[str, object]:
        """Peak RSS in MB per component and of the stack (the components other than the benchmark itself)."""
        with self._lock:
            return {
                "rss_mb": {k: round(v / MB, 1) for k, v in self._peak.items()},
                "pss_mb": {k: round(v / MB, 1) for k, v in self._peak_pss.items()},
                "stack_rss_mb": round(self._peak_total / MB, 1),
                # Proportional set size: a page shared by processes (PostgreSQL's shared buffers) counted once.
                "stack_pss_mb": round(self._peak_pss_total / MB, 1),
            }

    def sample(self) -> None:
        rss: dict[str, float] = {}
        pss: dict[str, float] = {}
        for name, pids in self.components.items():
            r = p = 0.0
            for pid in pids():
                with contextlib.suppress(psutil.Error):
                    proc = psutil.Process(pid)
                    info = proc.memory_full_info()
                    r += info.rss
                    p += info.pss
            rss[name], pss[name] = r, p
        total = sum(v for k, v in rss.items() if k != "bench")
        pss_total = sum(v for k, v in pss.items() if k != "bench")
        with self._lock:
            for k, v in rss.items():
                self._peak[k] = max(self._peak.get(k, 0.0), v)
            for k, v in pss.items():
                if v:
                    self._peak_pss[k] = max(self._peak_pss.get(k, 0.0), v)
            self._peak_total = max(self._peak_total, total)
            self._peak_pss_total = max(self._peak_pss_total, pss_total)

    def _sample_loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            with contextlib.suppress(Exception):  # a process ending between listing and reading it
                self.sample()


def commits(db_url: str) -> int:
    """Transactions committed so far in doorflow's database (``pg_stat_database.xact_commit``)."""
    url = db_url.replace("+psycopg", "")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0
