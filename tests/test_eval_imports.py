"""eval/ sits under the composition root: no eval module imports ``tsunagu`` (the CLI passes eval what it needs),
and eval's modules import each other without a cycle, counting imports inside functions (a cycle hidden in a
function-level import is still one: each module then needs the other to be whole). ``lint-imports`` checks the
first too (``tests/test_static_checks.py``); this names the module and line."""

from __future__ import annotations

import ast
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent / "eval"


def imported(path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports (anywhere in it), with the line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
    return found


def eval_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(EVAL.glob("*.py")):
        graph[f"eval.{path.stem}"] = {name for name, _ in imported(path) if name.startswith("eval.")}
    return graph


def test_no_eval_module_imports_the_composition_root() -> None:
    wrong = [f"{path.name}:{line} imports {name}" for path in sorted(EVAL.glob("*.py"))
             for name, line in imported(path) if name == "tsunagu" or name.startswith("tsunagu.")]
    assert wrong == []


def test_eval_modules_import_each_other_without_a_cycle() -> None:
    graph = eval_graph()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                cycles.append([*path[path.index(target):], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert cycles == []
