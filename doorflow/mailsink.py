"""A local SMTP sink for ``./dev run``: each mail the workers send lands as an ``.eml`` file in a folder.

Started only when no SMTP server is configured (``DOORFLOW_SMTP_HOST`` empty) and ``aiosmtpd`` is
installed (a dev dependency), so settlement notices and reminders can be read without a mail server.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from doorflow import stack


def available() -> bool:
    return importlib.util.find_spec("aiosmtpd") is not None


class Sink:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{datetime.now():%Y%m%d-%H%M%S-%f}.eml"
        (self.folder / name).write_bytes(envelope.content)
        return "250 Message stored"


def start(port: int, folder: Path, env: dict[str, str], log_dir: Path) -> stack.Child:
    args = [sys.executable, "-m", "doorflow.mailsink", "--port", str(port), "--dir", str(folder)]
    return stack.spawn("mailsink", args, env, log_dir)


def main() -> None:
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"mail sink on 127.0.0.1:{args.port}, writing to {args.dir}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):  # a timed wait lets the signal handlers run
        pass
    controller.stop()


if __name__ == "__main__":
    main()
