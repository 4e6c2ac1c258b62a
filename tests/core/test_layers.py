"""The architecture as a contract over the import graph, and the one write path.

store imports nothing of rolodex but i18n; crm imports store; io and synth import crm
and store; ui imports crm and io (never store); the command line anything; nothing
imports the benchmarks. No module outside store/ opens a transaction.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "rolodex"
# Leaf modules every layer may use: translation, the display rule for text, and where
# the shipped files (demo.db, themes) are.
SHARED = {"rolodex", "rolodex.i18n", "rolodex.textsafety", "rolodex.assets"}
ALLOWED = {
    "store": {"store"},
    "crm": {"store", "crm"},
    "io": {"store", "crm", "io"},
    "synth": {"store", "crm", "io", "synth"},
    "ui": {"crm", "io", "ui"},
}
BENCHMARKS = {"rolodex.bench", "rolodex.bench_tui", "rolodex.io.bench"}


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every rolodex module the file imports (at any depth: lazy imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "rolodex"]


def _layer(module: str) -> str | None:
    """The layer a module belongs to (None: the command line, serve's web code, ...)."""
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in ALLOWED else None


def _is_module(name: str, src: Path) -> bool:
    """``from rolodex.crm import x`` names a module or a function; only modules count."""
    path = src.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _violations(src: Path = SRC) -> list[str]:
    out = []
    for path in sorted(src.rglob("*.py")):
        module = _module_name(path, src)
        layer = _layer(module)
        for line, name in _imports(path):
            if not _is_module(name, src) or name in SHARED:
                continue
            where = f"{path.relative_to(src.parent)}:{line} imports {name}"
            if name in BENCHMARKS and module not in BENCHMARKS:
                out.append(where + " (nothing imports the benchmarks)")
                continue
            if layer is None or module in BENCHMARKS:
                continue  # the command line, serve and the benchmarks may import anything
            target = _layer(name)
            if target is None or target not in ALLOWED[layer]:
                out.append(where + f" ({layer} may import {sorted(ALLOWED[layer])})")
    return out


def test_every_layer_imports_only_what_the_architecture_allows():
    assert _violations() == []


def test_the_contract_check_sees_a_violation(tmp_path):
    """The check itself: a ui module importing store is reported, lazily imported too."""
    fake = tmp_path / "rolodex"
    (fake / "ui").mkdir(parents=True)
    (fake / "store").mkdir()
    for folder in (fake, fake / "ui", fake / "store"):
        (folder / "__init__.py").write_text("")
    (fake / "store" / "models.py").write_text("")
    (fake / "ui" / "screen.py").write_text("def f():\n    from rolodex.store import models\n")
    found = _violations(fake)
    assert any("ui/screen.py:2 imports rolodex.store.models" in v for v in found), found


# Calls that open a transaction (or a savepoint) with peewee or the DB-API; "begin",
# "commit" and "rollback" count on a receiver that names a database or a connection
# (a file's own commit, in io/files.py, is not a transaction).
TRANSACTION_CALLS = {"atomic", "transaction", "savepoint", "manual_commit"}
DB_API_CALLS = {"begin", "commit", "rollback"}
DB_RECEIVERS = ("db", "database", "conn", "connection", "cursor")


def _receiver(node: ast.Attribute) -> str:
    """The name the method is called on: ``conn`` in ``conn.commit()``, ``connection`` in
    ``db.connection().commit()``."""
    target = node.value
    if isinstance(target, ast.Call):
        target = target.func
    if isinstance(target, ast.Attribute):
        return target.attr.lower()
    return target.id.lower() if isinstance(target, ast.Name) else ""


def _transaction_calls(path: Path, root: Path = SRC.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            receiver = _receiver(node.func)
            if name in TRANSACTION_CALLS or (
                name in DB_API_CALLS and any(word in receiver for word in DB_RECEIVERS)
            ):
                out.append(f"{path.relative_to(root)}:{node.lineno} .{name}()")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = node.value.strip().upper().split()
            if words[:1] in (["BEGIN"], ["COMMIT"], ["SAVEPOINT"]):
                out.append(f"{path.relative_to(root)}:{node.lineno} SQL {words[0]}")
    return out


@pytest.mark.parametrize(
    "layer", ["crm", "io", "ui", "synth", "cli.py", "cli_format.py", "serve.py"]
)
def test_no_module_outside_store_opens_a_transaction(layer):
    target = SRC / layer
    paths = [target] if target.is_file() else sorted(target.rglob("*.py"))
    # The benchmarks' raw baselines drive sqlite3 by hand, beside the product's own path.
    paths = [p for p in paths if _module_name(p, SRC) not in BENCHMARKS]
    found = [call for path in paths for call in _transaction_calls(path)]
    # The import uses savepoints of the write transaction, through store's own entry.
    found = [call for call in found if not call.endswith(".savepoint()") or "io/" not in call]
    assert found == []


def test_the_transaction_check_sees_a_bare_atomic(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(db, target):\n    with db.atomic():\n        db.execute_sql('BEGIN')\n"
        "    db.connection().commit()\n    target.commit()\n"
    )
    found = _transaction_calls(sample, tmp_path)
    assert sorted(call.split(" ", 1)[1] for call in found) == [
        ".atomic()",
        ".commit()",
        "SQL BEGIN",
    ]
