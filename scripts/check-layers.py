#!/usr/bin/env python3
"""Layering (and file length) check for cfscrub (run by .ci/run; python3 standard library only).

Reads every `crate::…` path in src/ (and `cfscrub::…` in the binary's
modules: src/main.rs, src/cli/, src/commands/),
maps each top-level module to a floor (FLOORS below, mirrored in DESIGN.md)
and fails when
  * a module imports one on a higher floor (each floor builds only on the
    floors below it),
  * two top-level modules import each other, directly or through others
    (modules sharing a floor may use each other, but not in a circle),
  * a top-level module is missing from FLOORS (a new module is placed
    consciously),
  * a source file is over MAX_LINES lines and its module doc (the `//!`
    lines at its top) has no line starting `//! Long because` saying why
    (LONG_KNOWN lists the files whose owners were asked to fix them; one
    that is no longer long must leave the list); a file whose reason is
    `//! Long because of its unit tests` must have at most MAX_LINES
    lines before its `#[cfg(test)]`.

Comments are ignored (doc links are not imports), and so is everything from
a `#[cfg(test)]` (or `#![cfg(test)]`, a file of tests) line to the end of
its file: unit tests are the edge of
their module and may use any floor (the masked assertion helpers, fakes).
Exit status: 0 clean, 1 violations (listed on stderr), 2 usage error.
"""

import re
import sys
from pathlib import Path

# Top-level module -> floor. A module may import its own floor and below.
FLOORS = {
    # 0: leaves, importing nothing from the crate.
    "text": 0,
    "console": 0,
    "fake": 0,
    "sys": 0,
    # 1: the detecting core: rules, finding, secrets, detect, stream,
    # counts, sniff.
    "core": 1,
    # 2: where bytes come from: walk, beneath, cleanup, head, pool.
    "source": 2,
    # 3: masking: the streaming masker, safe display of paths and text.
    "mask": 3,
    # 4: changing files: method, rename and same-length, sqlite, png, ...
    "rewrite": 4,
    # 5: output: reporters, tallies, progress.
    "report": 5,
    # 6: incident response beyond the bytes (token/: the network client).
    "incident": 6,
    # 6: the user's settings file (.cfscrub.toml) and baseline.
    "config": 6,
    # The binary (src/main.rs and its modules; the library never sees them).
    # 7: flags and their resolution; 8: commands (wiring); 9: main.
    "cli": 7,
    "commands": 8,
    "main": 9,
}

# Longest a source file may be without a reason at its top.
MAX_LINES = 400
REASON = "//! Long because"
TESTS_REASON = "//! Long because of its unit tests"
# Files over MAX_LINES without the reason, each to be split or given one by
# the engineer working in it (src/core/detect/: detector speed).
LONG_KNOWN = {
    "src/core/detect/mod.rs",
    "src/core/detect/encoded.rs",
}

# Modules of the binary crate: there `crate::` is the binary's root and the
# library is reached as `cfscrub::`.
BINARY = {"cli", "commands", "main"}

# Exported macros live at the crate root but belong to a module.
MACROS = {"out": "console", "outln": "console", "err": "console", "errln": "console"}

PATH = re.compile(r"\b(crate|cfscrub)::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", re.S)


def top_module(src: Path, file: Path) -> str:
    rel = file.relative_to(src)
    if len(rel.parts) == 1:
        return "lib" if rel.stem == "lib" else rel.stem
    return rel.parts[0]


def code_of(text: str) -> str:
    """The production code of a file: comments dropped, tests cut off."""
    lines = []
    for line in text.splitlines():
        if line.strip().startswith(("#[cfg(test)]", "#![cfg(test)]")):
            break
        lines.append(re.sub(r"//.*", "", line))
    return "\n".join(lines)


def imported(code: str, in_binary: bool):
    """Top-level module names a file's code refers to."""
    for m in PATH.finditer(code):
        root, rest = m.group(1), m.group(2)
        if root == "cfscrub" and not in_binary:
            continue
        if rest.startswith("{"):
            # `use crate::{a::X, b::{self, Y}}`: the first segment of each item.
            depth, item, items = 0, "", []
            for ch in rest[1:-1]:
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                if ch == "," and depth == 0:
                    items.append(item)
                    item = ""
                else:
                    item += ch
            items.append(item)
            for it in items:
                name = it.strip().split("::")[0].strip()
                if name:
                    yield name
        else:
            yield rest


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def long_files(root: Path, src: Path):
    """Problems with file lengths: over MAX_LINES with no reason written."""
    for file in sorted(src.rglob("*.rs")):
        rel = file.relative_to(root).as_posix()
        lines = file.read_text(encoding="utf-8").splitlines()
        doc = []
        for line in lines:
            if not line.startswith("//!"):
                break
            doc.append(line)
        long = len(lines) > MAX_LINES and not any(d.startswith(REASON) for d in doc)
        code = next(
            (i for i, l in enumerate(lines) if l.strip().startswith("#[cfg(test)]")),
            len(lines),
        )
        if any(d.startswith(TESTS_REASON) for d in doc) and code > MAX_LINES:
            yield (
                f"{rel}: {code} lines before its tests (over {MAX_LINES}): "
                "its tests are not why it is long"
            )
        if long and rel not in LONG_KNOWN:
            yield (
                f"{rel}: {len(lines)} lines (over {MAX_LINES}) and no `{REASON} ...` "
                "line in its module doc: split it by concern or say why"
            )
        elif not long and rel in LONG_KNOWN:
            yield f"{rel}: listed in LONG_KNOWN but no longer needs to be: remove it"
    for rel in sorted(LONG_KNOWN):
        if not (root / rel).is_file():
            yield f"{rel}: listed in LONG_KNOWN but does not exist: remove it"


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    src = root / "src"
    if not src.is_dir():
        print(f"check-layers: no src/ under {root}", file=sys.stderr)
        return 2
    problems = []
    graph = {}
    for file in sorted(src.rglob("*.rs")):
        module = top_module(src, file)
        if module == "lib":
            continue
        if module not in FLOORS:
            problems.append(f"{file.relative_to(root)}: module `{module}` has no floor in scripts/check-layers.py")
            continue
        code = code_of(file.read_text(encoding="utf-8"))
        for name in sorted({MACROS.get(n, n) for n in imported(code, module in BINARY)}):
            if name in ("self", "super", module):
                continue
            graph.setdefault(module, set()).add(name)
            if name not in FLOORS:
                problems.append(f"{file.relative_to(root)}: imports `{name}`, which has no floor")
            elif FLOORS[name] > FLOORS[module]:
                problems.append(
                    f"{file.relative_to(root)}: `{module}` (floor {FLOORS[module]}) imports "
                    f"`{name}` (floor {FLOORS[name]}), a higher floor"
                )
    for comp in cycles(graph):
        problems.append("cycle between top-level modules: " + " <-> ".join(comp))
    problems.extend(long_files(root, src))
    for p in problems:
        print(f"check-layers: {p}", file=sys.stderr)
    if problems:
        print(f"check-layers: {len(problems)} violation(s)", file=sys.stderr)
        return 1
    print("check-layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
