"""The layers, checked from the source (ast, nothing imported): ``wire`` imports nothing
of ours, ``client`` only ``wire``, ``server`` never ``client``, and no import cycles.

An import is any ``import``/``from … import`` anywhere in a module (in functions and
``TYPE_CHECKING`` blocks too: a lazy import is still a dependency). ``from P import n``
depends on the module ``P.n`` when that is a module, else on ``P`` itself (its
``__init__``), so a submodule that takes a name from its own package's ``__init__``
while that ``__init__`` imports the submodule is reported as the cycle it is.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.support import ROOT

SRC = ROOT / "src"
TOP = "zoomlive"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(src: Path, top: str) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted((src / top).rglob("*.py"))}


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, target] if target else base)


def imports(name: str, path: Path, known: set[str], top: str) -> set[str]:
    """The modules of ours that ``name`` imports (resolved as described above)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(name, is_package, node.level, node.module)
            if base.split(".")[0] != top:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m != name}


def graph(src: Path, top: str = TOP) -> dict[str, set[str]]:
    mods = modules(src, top)
    known = set(mods)
    return {name: imports(name, path, known, top) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(edges):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(edges: dict[str, set[str]], of: str, allowed: Iterable[str]) -> list[str]:
    ok = set(allowed) | {of}
    return sorted(
        f"{src} imports {dst}"
        for src, dsts in edges.items()
        if layer(src) == of
        for dst in dsts
        if layer(dst) not in ok
    )


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return graph(SRC)


def test_the_graph_is_read(edges: dict[str, set[str]]) -> None:
    # The checks below prove nothing if the graph came out empty or unresolved.
    assert {"zoomlive.wire", "zoomlive.client", "zoomlive.server", "zoomlive.cli"} <= set(edges)
    assert "zoomlive.wire.paths" in edges["zoomlive.client.core"]
    assert "zoomlive.client.core" in edges["zoomlive.client._client"]
    assert any(layer(d) == "server" for d in edges["zoomlive.testing.runner"])


def test_wire_imports_nothing_of_ours(edges: dict[str, set[str]]) -> None:
    assert violations(edges, "wire", []) == []


def test_client_imports_only_wire(edges: dict[str, set[str]]) -> None:
    assert violations(edges, "client", ["wire"]) == []


def test_server_imports_only_wire_never_client(edges: dict[str, set[str]]) -> None:
    assert violations(edges, "server", ["wire"]) == []


def test_the_test_kit_never_imports_the_cli(edges: dict[str, set[str]]) -> None:
    assert violations(edges, "testing", ["wire", "client", "server"]) == []


def test_no_import_cycles(edges: dict[str, set[str]]) -> None:
    assert cycles(edges) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A package-init cycle, a relative import and a layer break are all found."""
    pkg = tmp_path / "zoomlive"
    for d in ("wire", "client"):
        (pkg / d).mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "wire" / "__init__.py").write_text("")
    (pkg / "wire" / "ids.py").write_text("def f():\n    from ..client import core\n")
    (pkg / "client" / "__init__.py").write_text("from zoomlive.client._client import Client\n")
    (pkg / "client" / "_client.py").write_text("from zoomlive.client import core\nClient = 1\n")
    (pkg / "client" / "core.py").write_text("from . import Client\n")  # the package's name
    g = graph(tmp_path)
    assert g["zoomlive.client.core"] == {"zoomlive.client"}
    assert g["zoomlive.wire.ids"] == {"zoomlive.client.core"}
    assert violations(g, "wire", []) == ["zoomlive.wire.ids imports zoomlive.client.core"]
    assert cycles(g) == [["zoomlive.client", "zoomlive.client._client", "zoomlive.client.core"]]


def _header_literals(src: Path) -> list[str]:
    """Zoom's header names written as string literals outside ``wire`` (messages
    excepted: a literal that is only part of a sentence is not a header name)."""
    found = []
    for path in sorted(src.rglob("*.py")):
        if "wire" in path.relative_to(src).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                if text.lower().startswith(("x-zm-", "x-ratelimit-")) and " " not in text:
                    found.append(f"{path.relative_to(src)}:{node.lineno}: {text}")
    return found


def test_zoom_header_names_live_in_wire_only(tmp_path: Path) -> None:
    assert _header_literals(SRC) == []
    (tmp_path / "zoomlive").mkdir()
    (tmp_path / "zoomlive" / "x.py").write_text('H = "x-zm-trackingid"\n')
    assert _header_literals(tmp_path) == ["zoomlive/x.py:1: x-zm-trackingid"]


# -- inside server/ -----------------------------------------------------------------------
#
# Today's folders and the layers they are: ``routes``, ``protocol``, ``middleware`` and
# ``app`` are the HTTP door; ``services`` is the domain (Zoom's rules); ``storage`` the
# repositories; ``webhooks`` and ``media`` the side effects; ``control`` and ``ui`` the
# emulator's own API and dashboard.

#: Third-party packages of the web tier.
WEB = frozenset({"litestar", "uvicorn", "starlette", "httptools", "multipart"})
#: Folders that hold no HTTP: they may not import the web tier nor its modules.
NO_HTTP = ("services", "storage", "webhooks", "media")
HTTP_MODULES = ("routes", "control", "ui", "app", "protocol", "middleware")


def folder(module: str) -> str | None:
    """The folder (or top module) of ``server`` a module belongs to, else None."""
    parts = module.split(".")
    return parts[2] if parts[:2] == [TOP, "server"] and len(parts) > 2 else None


def third_party(src: Path, top: str = TOP) -> dict[str, set[str]]:
    """The top-level packages not of ours each module imports."""
    out: dict[str, set[str]] = {}
    for name, path in modules(src, top).items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
        out[name] = found - {top}
    return out


def server_violations(edges: dict[str, set[str]], outside: dict[str, set[str]]) -> list[str]:
    found = []
    for src, dsts in sorted(edges.items()):
        here = folder(src)
        if here in NO_HTTP:
            found += [f"{src} imports {p}" for p in sorted(outside[src] & WEB)]
            found += [f"{src} imports {d}" for d in sorted(dsts) if folder(d) in HTTP_MODULES]
        if here == "storage":
            found += [f"{src} imports {d}" for d in sorted(dsts) if folder(d) == "services"]
        if here in ("ui", "control") and "sqlalchemy" in outside[src]:
            found.append(f"{src} imports sqlalchemy")
    return found


def folder_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between the folders of ``server`` (a module's own folder aside)."""
    between: dict[str, set[str]] = {}
    for src, dsts in edges.items():
        a = folder(src)
        if a is None:
            continue
        between.setdefault(a, set()).update(
            b for d in dsts if (b := folder(d)) is not None and b != a
        )
    return cycles(between)


def test_inside_server_the_layers_hold(edges: dict[str, set[str]]) -> None:
    """The domain, storage, webhooks and media import no web framework and no route,
    control or dashboard module; storage imports no domain module; the dashboard and
    the control API import no SQLAlchemy."""
    assert server_violations(edges, third_party(SRC)) == []


def test_no_import_cycles_between_server_folders(edges: dict[str, set[str]]) -> None:
    assert folder_cycles(edges) == []


def test_the_server_checks_can_fail(tmp_path: Path) -> None:
    """Each rule, planted broken once, is reported."""
    server = tmp_path / "zoomlive" / "server"
    for d in ("services", "storage", "ui", "routes", "webhooks"):
        (server / d).mkdir(parents=True)
        (server / d / "__init__.py").write_text("")
    (tmp_path / "zoomlive" / "__init__.py").write_text("")
    (server / "__init__.py").write_text("")
    (server / "services" / "rules.py").write_text(
        "import litestar\nfrom zoomlive.server.routes import door\n"
        "from zoomlive.server.webhooks import send\n"
    )
    (server / "routes" / "door.py").write_text("")
    (server / "storage" / "repo.py").write_text("from zoomlive.server.services import rules\n")
    (server / "ui" / "page.py").write_text("import sqlalchemy as sa\n")
    (server / "webhooks" / "send.py").write_text("from zoomlive.server.services import rules\n")
    g = graph(tmp_path)
    assert server_violations(g, third_party(tmp_path)) == [
        "zoomlive.server.services.rules imports litestar",
        "zoomlive.server.services.rules imports zoomlive.server.routes.door",
        "zoomlive.server.storage.repo imports zoomlive.server.services.rules",
        "zoomlive.server.ui.page imports sqlalchemy",
    ]
    assert folder_cycles(g) == [["services", "webhooks"]]


#: The only modules that ask which database this is: the backend, decided once when the
#: store is made, the engine it makes (SQLAlchemy's dialect) and the migrations (DDL
#: written per dialect, as Alembic's are).
DIALECT_HOMES = (
    "zoomlive.server.storage.backend",
    "zoomlive.server.storage.engine",
    "zoomlive.server.storage.migrations",
)


def _names_a_dialect(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("sqlite", "postgres"))
    )


def dialect_checks(src: Path, top: str = TOP) -> list[str]:
    """Each ``x.startswith("sqlite…")``, comparison with a dialect's name or read of
    ``.dialect.name`` outside ``DIALECT_HOMES``."""
    found = []
    for name, path in modules(src, top).items():
        if name.startswith(DIALECT_HOMES):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            asks = (
                (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("startswith", "endswith")
                    and any(_names_a_dialect(a) for a in node.args)
                )
                or (
                    isinstance(node, ast.Compare)
                    and any(_names_a_dialect(c) for c in [node.left, *node.comparators])
                )
                or (
                    isinstance(node, ast.Attribute)
                    and node.attr == "name"
                    and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "dialect"
                )
            )
            if asks:
                found.append(f"{name}:{getattr(node, 'lineno', 0)}")
    return sorted(set(found))


def test_which_database_is_asked_in_one_place() -> None:
    assert dialect_checks(SRC) == []


def test_the_dialect_check_can_fail(tmp_path: Path) -> None:
    pkg = tmp_path / "zoomlive"
    pkg.mkdir()
    (pkg / "a.py").write_text('def f(url):\n    return url.startswith("sqlite")\n')
    (pkg / "b.py").write_text('def f(conn):\n    return conn.dialect.name == "x"\n')
    (pkg / "c.py").write_text('def f(kind):\n    return kind == "postgresql"\n')
    assert dialect_checks(tmp_path) == ["zoomlive.a:2", "zoomlive.b:2", "zoomlive.c:2"]
