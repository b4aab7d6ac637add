"""Find a Java runtime new enough for the engine application (Operaton 1.0.3: Java 17 or later)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

MIN_JAVA = 17


class JavaNotFound(RuntimeError):
    """No usable Java: the message says what to install or set."""


def java_major(java: Path) -> int | None:
    """Major version of the ``java`` binary, or None when it does not run."""
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = re.search(r'version "(\d+)', out.stderr + out.stdout)
    return int(match.group(1)) if match else None


def find_java_home() -> Path:
    """``JAVA_HOME`` when it is Java >= 17, otherwise the home of the ``java`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        # /usr/bin/java is usually a chain of symlinks into the JDK: its home is two levels up.
        candidates.append(Path(on_path).resolve().parent.parent)
    for home in candidates:
        major = java_major(home / "bin" / "java")
        if major is not None and major >= MIN_JAVA:
            return home
    raise JavaNotFound(
        f"the doorflow engine needs Java >= {MIN_JAVA}: install a JDK (e.g. `apt-get install openjdk-17-jdk-headless`) "
        f"or set JAVA_HOME to one (tried: {', '.join(map(str, candidates)) or 'nothing'})"
    )
