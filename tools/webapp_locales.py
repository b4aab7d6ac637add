"""Write the Simplified Chinese locale files of Tasklist, Cockpit, Admin and Welcome.

``python tools/webapp_locales.py`` reads each app's ``en.json`` from the Operaton webjar in the local
Maven repository (the version pinned in engine/pom.xml) and writes ``zh.json`` next to the engine
application's ``config.js`` overrides, translating every label through ``engine/locales/zh-strings.json``
(English text → Chinese, one entry per distinct string) and ``engine/locales/date-zh.json``.
``--check`` fails when a label of the pinned webjar has no translation or a written file is stale:
after an Operaton upgrade, add the new strings to the table and run it again.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from doorflow.settings import engine_version  # noqa: E402

LOCALES = ROOT / "engine" / "locales"
TARGET = ROOT / "engine" / "src" / "main" / "resources" / "META-INF" / "resources" / "webjars" / "operaton" / "app"
APPS = ("tasklist", "cockpit", "admin", "welcome")


def webjar() -> Path:
    version = engine_version()
    return (
        Path.home()
        / ".m2/repository/org/operaton/bpm/webapp/operaton-webapp-webjar"
        / version
        / f"operaton-webapp-webjar-{version}.jar"
    )


def english(app: str, jar: Path) -> dict[str, object]:
    with zipfile.ZipFile(jar) as z:
        raw = z.read(f"META-INF/resources/webjars/operaton/app/{app}/locales/en.json")
    result: dict[str, object] = json.loads(raw.decode("utf-8-sig"))
    return result


def render(app: str, jar: Path, strings: dict[str, str], dates: dict[str, object]) -> tuple[str, list[str]]:
    """The app's zh.json text and the English labels that have no translation."""
    en = english(app, jar)
    labels = en["labels"]
    assert isinstance(labels, dict)
    missing = sorted({text for text in labels.values() if text not in strings})
    zh: dict[str, object] = {"labels": {key: strings.get(text, text) for key, text in labels.items()}}
    if "dateLocales" in en:
        zh = {"dateLocales": dates, **zh}
    return json.dumps(zh, ensure_ascii=False, indent=2) + "\n", missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is stale or a label untranslated")
    args = parser.parse_args()
    jar = webjar()
    if not jar.exists():
        print(f"{jar} is missing: build the engine once (./dev engine) so Maven fetches it", file=sys.stderr)
        return 2
    strings = json.loads((LOCALES / "zh-strings.json").read_text(encoding="utf-8"))
    dates = json.loads((LOCALES / "date-zh.json").read_text(encoding="utf-8"))
    failed = False
    for app in APPS:
        text, missing = render(app, jar, strings, dates)
        path = TARGET / app / "locales" / "zh.json"
        if missing:
            failed = True
            print(f"{app}: {len(missing)} labels without a translation, e.g. {missing[:3]}", file=sys.stderr)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                failed = True
                print(f"{path.relative_to(ROOT)} is stale: run python tools/webapp_locales.py", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
