"""Print the shape of the library: rooms (modules), import floors, cycles and sizes.

    python scripts/house.py            # figures
    python scripts/house.py --check    # exit 1 when a house rule is broken

Every import counts, lazy ones inside functions included (a lazy import is
still a dependency a reader has to follow); imports under `TYPE_CHECKING`
do not. A "room" is a module; floors are the longest chain of imports below
a module, computed on the graph with each cycle collapsed into one room.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "lib"
ROOT = "takelab"

# The house rules from the layout: (importer prefix, forbidden prefix).
FORBIDDEN = [
    ("takelab.backends", "takelab.journal.store"),
    ("takelab.backends", "takelab.tracking.tracker"),
    ("takelab.journal.store", "takelab.tracking.tracker"),
    ("takelab.project", "takelab.backends"),
]
SCREENS = ("takelab.widgets", "takelab.cli", "takelab.__main__")  # __main__ is the CLI's entry
MAX_LINES = 450
MAX_BACKEND_LINES = 250


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imports(path: Path, modules: set[str]) -> set[str]:
    """The takelab modules that `path` imports (a `from pkg import name` of a
    submodule counts as importing that submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != me and name.startswith(ROOT):
                found.add(name)
    # Importing a.b.c runs the __init__ of a.b first, unless the importer is
    # inside a.b (then that __init__ is already running or done).
    for name in list(found):
        parent = name.rpartition(".")[0]
        while parent and parent != ROOT:
            found.add(parent)
            parent = parent.rpartition(".")[0]
    return {name for name in found if not (me + ".").startswith(name + ".")}


def graph() -> dict[str, set[str]]:
    files = sorted((LIB / ROOT).rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports(f, modules) for f in files}


def room_of(module: str) -> str:
    """The package a module lives in (its first name below takelab), or the module."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph between packages and top-level modules (the layout's "rooms")."""
    rooms: dict[str, set[str]] = {}
    for m, deps in g.items():
        if m == ROOT:
            continue
        here = rooms.setdefault(room_of(m), set())
        here.update(room_of(d) for d in deps if d != ROOT and room_of(d) != room_of(m))
    return rooms


def strongly_connected(g: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    return out


def floors(g: dict[str, set[str]], comps: list[list[str]]) -> int:
    room = {m: i for i, comp in enumerate(comps) for m in comp}
    below: dict[int, set[int]] = {i: set() for i in range(len(comps))}
    for m, deps in g.items():
        for d in deps:
            if room[d] != room[m]:
                below[room[m]].add(room[d])
    memo: dict[int, int] = {}

    def height(i: int) -> int:
        if i not in memo:
            memo[i] = 1 + max((height(j) for j in below[i]), default=0)
        return memo[i]

    return max(height(i) for i in below)


def problems(g: dict[str, set[str]]) -> list[str]:
    found: list[str] = []
    for comp in strongly_connected(g):
        if len(comp) > 1:
            found.append("import cycle: " + " <-> ".join(comp))
    for m, deps in sorted(g.items()):
        for d in sorted(deps):
            for importer, banned in FORBIDDEN:
                if (m + ".").startswith(importer + ".") and (d + ".").startswith(banned + "."):
                    found.append(f"house rule: {m} imports {d}")
            if not m.startswith(SCREENS) and d.startswith(SCREENS):
                found.append(f"house rule: {m} (library) imports the screen {d}")
            # A private module is private to its own package.
            leaf = d.rpartition(".")[2]
            if leaf.startswith("_") and not leaf.startswith("__"):
                owner = d.rpartition(".")[0]
                if not (m + ".").startswith(owner + "."):
                    found.append(f"private: {m} imports {d}, private to {owner}")
    for f in sorted((LIB / ROOT).rglob("*.py")):
        n = len(f.read_text(encoding="utf-8").splitlines())
        limit = (
            MAX_BACKEND_LINES
            if f.parent.name == "backends" and not f.name.startswith("_")
            else MAX_LINES
        )
        if n >= limit:
            found.append(f"size: {f.relative_to(LIB)} has {n} lines (limit {limit})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a broken rule")
    args = parser.parse_args()
    g = graph()
    comps = strongly_connected(g)
    sizes = sorted(
        (
            (len(f.read_text(encoding="utf-8").splitlines()), str(f.relative_to(LIB)))
            for f in (LIB / ROOT).rglob("*.py")
        ),
        reverse=True,
    )
    backend_sizes = [
        s for s in sizes if "/backends/" in s[1] and not Path(s[1]).name.startswith("_")
    ]
    print(
        f"modules: {len(g)}; rooms after collapsing cycles: {len(comps)};"
        f" floors: {floors(g, comps)}"
    )
    print(f"import cycles: {sum(1 for c in comps if len(c) > 1)}")
    rooms = package_graph(g)
    room_comps = strongly_connected(rooms)
    print(
        f"packages and top-level modules: {len(rooms)}; floors: {floors(rooms, room_comps)};"
        f" cycles between them: {sum(1 for c in room_comps if len(c) > 1)}"
    )
    for comp in room_comps:
        if len(comp) > 1:
            print("packages that import each other: " + " <-> ".join(comp))
    print("largest modules: " + ", ".join(f"{p} {n}" for n, p in sizes[:5]))
    print("largest backend files: " + ", ".join(f"{p} {n}" for n, p in backend_sizes[:3]))
    found = problems(g)
    for line in found:
        print(line)
    return 1 if args.check and found else 0


if __name__ == "__main__":
    raise SystemExit(main())
