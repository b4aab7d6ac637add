"""doorflow's command line: run the stack, run the checks, start the engine, write element templates."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from doorflow import identity, mailsink, stack
from doorflow.engine import EngineConfig, EngineUnavailable
from doorflow.java import JavaNotFound
from doorflow.operaton import EngineUnreachable, OperatonClient
from doorflow.settings import ROOT, Settings, get_settings
from doorflow.store import migrate


def say(message: str) -> None:
    print(f"[doorflow] {message}", flush=True)


def engine_config(settings: Settings, engine_db_url: str = "") -> EngineConfig:
    return EngineConfig(work_dir=settings.state_dir / "engine", port=settings.engine_port, db_url=engine_db_url)


def cmd_run(_: argparse.Namespace) -> int:
    """Set up what is missing, start everything, print the URLs, stop it all on Ctrl-C."""
    settings = get_settings()
    state = settings.state_dir
    started = time.monotonic()
    children: list[stack.Child] = []
    failed = False

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # Explicit handlers: a shell that starts us in the background leaves SIGINT ignored, and
    # SIGTERM should stop as cleanly as Ctrl-C, also in the middle of start-up.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    try:
        say("store: starting PostgreSQL and applying migrations …")
        db_url, engine_db_url = stack.database_urls(state)
        cfg = engine_config(settings, engine_db_url)
        with stack.running_engine(cfg, progress=say) as engine_proc:
            engine = stack.system_client(cfg)
            try:
                names = stack.deploy_all(engine)
                say(f"deployed {len(names)} resources: {', '.join(names)}")
                env = stack.child_env(db_url, cfg.url, settings.api_port)
                if not settings.smtp_host and mailsink.available():
                    # No mail server configured: collect the customer e-mails in a folder instead.
                    smtp_port = stack.free_port()
                    children.append(mailsink.start(smtp_port, state / "mail", env, settings.logs_dir))
                    env.update({"DOORFLOW_SMTP_HOST": "127.0.0.1", "DOORFLOW_SMTP_PORT": str(smtp_port)})
                    say(f"e-mail:   no SMTP server configured; mails are written to {state / 'mail'}")
                children.append(stack.start_workers(env, settings.logs_dir))
                api = stack.start_api(env, settings.api_port, settings.logs_dir)
                children.append(api)
                api_url = f"http://127.0.0.1:{settings.api_port}"
                stack.wait_http(f"{api_url}/health", 60, api)
                say(f"up in {time.monotonic() - started:.1f}s")
                app = f"{cfg.url}/operaton/app"
                say(f"Tasklist: {app}/tasklist/default/")
                say(f"Cockpit:  {app}/cockpit/default/")
                say(f"Admin:    {app}/admin/default/")
                say(f"API docs: {api_url}/docs")
                for line in identity.login_lines():
                    say(line)
                say(f"logs:     {settings.logs_dir} and {cfg.log_file}")
                say("press Ctrl-C to stop")
                supervisor = stack.Supervisor(say, settings.run_max_restarts, settings.run_restart_backoff_s)
                supervisor.watch(stack.Watched("engine", engine_proc.proc.poll, cfg.log_file))
                for child in children:
                    supervisor.watch_child(child)
                supervisor.run()
                failed = True
            finally:
                say("stopping …")
                for child in reversed(children):  # workers and API before the engine they use
                    child.stop()
                engine.close()
    except KeyboardInterrupt:
        pass
    except (EngineUnavailable, JavaNotFound) as exc:
        say(f"cannot start the engine: {exc}")
        return 2
    say("stopped" if not failed else "stopped because a process ended (see above)")
    return 1 if failed else 0


def cmd_engine(_: argparse.Namespace) -> int:
    """Only the store and the engine, in the foreground (for a developer running things from an IDE)."""
    settings = get_settings()
    try:
        _db_url, engine_db_url = stack.database_urls(settings.state_dir)
        cfg = engine_config(settings, engine_db_url)
        with stack.running_engine(cfg, progress=say):
            say(f"engine up: {cfg.url}/operaton/app/cockpit/default/ and REST {cfg.rest_url}; Ctrl-C to stop")
            while True:
                time.sleep(1)
    except KeyboardInterrupt:
        return 0
    except (EngineUnavailable, JavaNotFound) as exc:
        say(f"cannot start the engine: {exc}")
        return 2


def cmd_deploy(_: argparse.Namespace) -> int:
    """Migrate the database and deploy every resource of bpmn/ to the configured engine (compose uses this)."""
    settings = get_settings()
    if settings.database_url:
        migrate(settings.database_url)
        say("database migrated")
    engine = OperatonClient(
        settings.engine_url, settings.engine_user, settings.engine_password, settings.engine_request_timeout_s
    )
    for attempt in range(1, 31):
        try:
            names = stack.deploy_all(engine)
            say(f"deployed {len(names)} resources to {settings.engine_url}: {', '.join(names)}")
            return 0
        except EngineUnreachable as exc:
            say(f"engine not reachable yet (attempt {attempt}/30): {exc}")
            if attempt < 30:
                time.sleep(5)
    return 1


def cmd_demo(_: argparse.Namespace) -> int:
    """Fill the running local doorflow (``./dev run``) with sample orders and tickets at every stage."""
    from doorflow import demo
    from doorflow.history import EngineHistory

    settings = get_settings()
    engine = stack.system_client(engine_config(settings))
    try:
        engine.get("/engine")
    except EngineUnreachable:
        say(f"no engine at {engine.base_url}: start doorflow first with ./dev run (in another terminal)")
        return 2
    try:
        return demo.run(f"http://127.0.0.1:{settings.api_port}", engine, EngineHistory(engine), say)
    finally:
        engine.close()


def cmd_element_templates(args: argparse.Namespace) -> int:
    from workers.element_templates import TEMPLATES_FILE, render

    text = json.dumps(render(), ensure_ascii=False, indent=2) + "\n"
    if args.check:
        if not TEMPLATES_FILE.exists() or TEMPLATES_FILE.read_text(encoding="utf-8") != text:
            say(f"{TEMPLATES_FILE.relative_to(ROOT)} is stale: run `./dev element-templates`")
            return 1
        return 0
    TEMPLATES_FILE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATES_FILE.write_text(text, encoding="utf-8")
    say(f"wrote {TEMPLATES_FILE.relative_to(ROOT)}")
    return 0


def _step(name: str, args: list[str]) -> bool:
    say(f"check: {name}")
    started = time.monotonic()
    ok = subprocess.run(args, cwd=ROOT, check=False).returncode == 0
    say(f"check: {name} {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s")
    return ok


def cmd_test(args: argparse.Namespace) -> int:
    """Static checks, BPMN lint, then the whole pytest suite (real engine included)."""
    py = sys.executable
    npx = str(ROOT / "node_modules" / ".bin" / "bpmnlint")
    diagrams = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "bpmn").rglob("*.bpmn"))]
    steps = [
        ("ruff lint", [py, "-m", "ruff", "check", "."]),
        ("ruff format", [py, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [py, "-m", "mypy"]),
        ("bpmnlint (recommended + camunda-compat 7.24)", [npx, *diagrams]),
        ("element templates up to date", [py, "-m", "doorflow", "element-templates", "--check"]),
    ]
    failed = [name for name, cmd in steps if not _step(name, cmd)]
    pytest_ok = _step("pytest", [py, "-m", "pytest", *args.pytest_args])
    if failed or not pytest_ok:
        say(f"FAILED: {', '.join(failed + ([] if pytest_ok else ['pytest']))}")
        return 1
    say("all checks passed")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """The lifecycle benchmark on a stack of its own: throughput, per-step overhead, costs, targets."""
    from doorflow.bench import run as bench

    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip()) if args.parts else bench.PARTS
    unknown = set(parts) - set(bench.PARTS)
    if unknown:
        say(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(bench.PARTS)}")
        return 2
    opts = bench.Options.quick_run(parts) if args.quick else bench.Options(parts=parts)
    for name in ("orders", "window", "step_seconds", "api_seconds", "api_rate", "phase_timeout_s"):
        value = getattr(args, name)
        if value is not None:
            setattr(opts, name, value)
    try:
        return bench.run(opts, say)
    except (EngineUnavailable, JavaNotFound) as exc:
        say(f"cannot start the engine: {exc}")
        return 2


def cmd_faults(args: argparse.Namespace) -> int:
    """The fault suite on a stack of its own: lifecycles on a two-node cluster while faults are injected."""
    from pathlib import Path

    from doorflow import faults

    chosen = tuple(args.faults.split(",")) if args.faults else faults.FAULT_KINDS
    base = faults.FaultOptions.short() if args.short else faults.FaultOptions()
    options = faults.FaultOptions(
        orders=args.orders or base.orders,
        tickets=args.tickets if args.tickets is not None else base.tickets,
        seed=args.seed,
        faults=chosen,
        engine_restarts=args.engine_restarts if args.engine_restarts is not None else base.engine_restarts,
        work_dir=Path(args.work_dir) if args.work_dir else None,
        keep=args.keep,
        output=Path(args.output),
        timeout_s=base.timeout_s,
    )
    try:
        result = faults.run(options, say=lambda m: say(f"faults: {m}"))
    except (EngineUnavailable, JavaNotFound, ValueError) as exc:
        say(f"faults: cannot run: {exc}")
        return 2
    return 0 if result.passed else 1


def cmd_api_key(args: argparse.Namespace) -> int:
    """Rotate a service user's API key: print the new one once; the old key (or secret) stops working at once."""
    import getpass

    from models.access import service as api_keys
    from models.db import make_engine, make_sessionmaker, unit_of_work
    from models.errors import InvalidInput

    settings = get_settings()
    url = settings.database_url or stack.database_urls(settings.state_dir)[0]
    db = make_engine(url)
    try:
        with unit_of_work(make_sessionmaker(db)) as session:
            key = api_keys.rotate(session, args.user, actor=f"cli:{getpass.getuser()}")
    except InvalidInput as exc:
        say(exc.message)
        return 2
    finally:
        db.dispose()
    say(f"new API key of {args.user} (shown once; send it as X-API-Key, or as the HTTP Basic password):")
    print(key, flush=True)
    return 0


def main() -> None:
    os.chdir(ROOT)
    parser = argparse.ArgumentParser(prog="doorflow")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="set up and run doorflow").set_defaults(func=cmd_run)
    sub.add_parser("engine", help="run only the store and the local engine").set_defaults(func=cmd_engine)
    t = sub.add_parser("test", help="run every check and the whole test suite")
    t.add_argument("pytest_args", nargs="*")
    t.set_defaults(func=cmd_test)
    sub.add_parser("demo", help="fill the running doorflow with sample orders at every stage").set_defaults(
        func=cmd_demo
    )
    sub.add_parser("deploy", help="migrate the database and deploy bpmn/ to the engine").set_defaults(func=cmd_deploy)
    b = sub.add_parser("bench", help="lifecycle benchmark on a stack of its own (not part of the test run)")
    b.add_argument("--quick", action="store_true", help="small sizes: a 2 to 3 minute run that every part runs in")
    b.add_argument("--orders", type=int, help="orders per lifecycle phase (default 24; quick 4)")
    b.add_argument("--window", type=int, help="orders in flight in a lifecycle phase (default 8; quick 4)")
    b.add_argument("--step-seconds", type=float, help="arrivals of the half-load phase, seconds (default 90)")
    b.add_argument("--api-seconds", type=float, help="length of the order-creation phase, seconds (default 20)")
    b.add_argument("--api-rate", type=float, help="order creations per second (default 50)")
    b.add_argument("--phase-timeout-s", type=float, help="give up on a phase after this many seconds")
    b.add_argument("--parts", help="comma list of lifecycle,noop,steps,cluster,api (default: all)")
    b.set_defaults(func=cmd_bench)
    e = sub.add_parser("element-templates", help="write Modeler element templates from the task registry")
    e.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    e.set_defaults(func=cmd_element_templates)
    f = sub.add_parser("faults", help="run the fault suite on a two-node cluster of its own")
    f.add_argument("--orders", type=int, default=0, help="orders in the batch (default 6, --short 3)")
    f.add_argument("--tickets", type=int, default=None, help="after-sales tickets (default 3, --short 2)")
    f.add_argument("--seed", type=int, default=1, help="seed for the order variants and the worker killed")
    f.add_argument("--faults", default="", help="comma-separated fault kinds (default: all)")
    f.add_argument("--engine-restarts", type=int, default=None, help="engine restarts in a row (default 20)")
    f.add_argument("--short", action="store_true", help="a small batch and 2 engine restarts (the test's variant)")
    f.add_argument("--work-dir", default="", help="folder for databases and logs (default: a temporary one)")
    f.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) afterwards")
    f.add_argument("--output", default=str(ROOT / "test-artifacts" / "faults.json"), help="where the JSON goes")
    f.set_defaults(func=cmd_faults)
    k = sub.add_parser("api-key", help="service users' API keys (administrators)")
    ks = k.add_subparsers(dest="action", required=True)
    rotate = ks.add_parser("rotate", help="give a service user a new API key; the old one stops working")
    rotate.add_argument("user", help="the service user, e.g. svc-shop")
    rotate.set_defaults(func=cmd_api_key)
    args = parser.parse_args()
    sys.exit(args.func(args))
