"""The role matrix (``config/access.toml``): which engine groups may call which API route.

One declarative file; this module only reads it. A route is ``"METHOD /path/template"`` as in the
OpenAPI document; a group is an engine group id or ``@set`` (a named list of groups under ``[sets]``).
Deny by default: a route the file does not list is refused for everyone. ``python -m api.access``
prints the README's "Who may call what" table.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from doorflow.settings import ROOT

ACCESS_FILE = ROOT / "config" / "access.toml"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class OrderView:
    """How much of the order book a caller sees (``[orders]`` of the file)."""

    own_only: bool  # only the orders the caller created (a shop front: the orders it brought in)
    contact: bool  # the customer's phone, e-mail and delivery address


@dataclass(frozen=True)
class Matrix:
    public: frozenset[tuple[str, str]]
    admins: frozenset[str]
    sets: dict[str, tuple[str, ...]]
    routes: dict[tuple[str, str], tuple[str, ...]]  # as written (with @sets), in file order
    source: Path = field(default=ACCESS_FILE)
    own_orders_only: frozenset[str] = frozenset()
    without_contact: frozenset[str] = frozenset()

    def order_view(self, groups: frozenset[str]) -> OrderView:
        """A caller sees every order unless each of its groups is limited to its own orders, and the customer's
        contact unless each of its groups goes without it (one group with the wider view is enough)."""
        return OrderView(
            own_only=bool(groups) and groups <= self.own_orders_only,
            contact=not (groups and groups <= self.without_contact),
        )

    def expand(self, names: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for name in names:
            for group in self.sets[name[1:]] if name.startswith("@") else (name,):
                if group not in out:
                    out.append(group)
        return tuple(out)

    def allowed(self, method: str, path: str) -> tuple[str, ...] | None:
        """The groups that may call the route (the admins included), or None when the file does not list it."""
        names = self.routes.get((method, path))
        if names is None:
            return None
        return self.expand(names) + tuple(a for a in sorted(self.admins) if a not in self.expand(names))

    def permits(self, groups: frozenset[str], operation: str) -> bool:
        """Whether a member of ``groups`` may call ``operation`` ("METHOD /path/template"); unlisted: nobody."""
        method, _, path = operation.partition(" ")
        allowed = self.allowed(method, path)
        return allowed is not None and bool(groups & set(allowed))

    def is_public(self, method: str, path: str) -> bool:
        return (method, path) in self.public

    def groups(self) -> set[str]:
        """Every group the file names (for the check that each one exists in the engine's identity file)."""
        named = set(self.admins) | {g for groups in self.sets.values() for g in groups}
        named |= self.own_orders_only | self.without_contact
        return named | {g for names in self.routes.values() for g in self.expand(names)}


def _route(key: str, source: Path) -> tuple[str, str]:
    method, _, path = key.partition(" ")
    if method not in METHODS or not path.startswith("/") or " " in path:
        raise ValueError(f"{source}: {key!r} is not 'METHOD /path/template'")
    return method, path


def parse(text: str, source: Path = ACCESS_FILE) -> Matrix:
    raw = tomllib.loads(text)
    sets = {name: tuple(groups) for name, groups in raw.get("sets", {}).items()}
    routes: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, groups in raw.get("routes", {}).items():
        if not isinstance(groups, list) or not groups or not all(isinstance(g, str) for g in groups):
            raise ValueError(f"{source}: {key!r} needs a non-empty list of groups")
        unknown = [g for g in groups if g.startswith("@") and g[1:] not in sets]
        if unknown:
            raise ValueError(f"{source}: {key!r} names unknown sets {unknown}")
        routes[_route(key, source)] = tuple(groups)
    public = frozenset(_route(key, source) for key in raw.get("public", []))
    orders = raw.get("orders", {})
    return Matrix(
        public=public,
        admins=frozenset(raw.get("admins", [])),
        sets=sets,
        routes=routes,
        source=source,
        own_orders_only=frozenset(orders.get("own-only", [])),
        without_contact=frozenset(orders.get("without-contact", [])),
    )


@lru_cache
def load(path: Path = ACCESS_FILE) -> Matrix:
    return parse(path.read_text(encoding="utf-8"), path)


def markdown_table(matrix: Matrix) -> str:
    """The README table: one row per route, then the sets and the open routes."""
    lines = ["| route | groups that may call it |", "| --- | --- |"]
    for (method, path), names in matrix.routes.items():
        lines.append(f"| `{method} {path}` | {', '.join(f'`{n}`' for n in names)} |")
    lines += ["", "| set | groups |", "| --- | --- |"]
    for name, groups in matrix.sets.items():
        lines.append(f"| `@{name}` | {', '.join(f'`{g}`' for g in groups)} |")
    lines += [
        "",
        "Open without credentials: "
        + ", ".join(f"`{m} {p}`" for m, p in sorted(matrix.public))
        + ", and the docs (`/docs`, `/redoc`, `/openapi.json`). "
        + "Members of "
        + ", ".join(f"`{a}`" for a in sorted(matrix.admins))
        + " may call every route listed.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table(load()))
