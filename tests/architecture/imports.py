"""Every import between boxoffice's own modules, read from the source (not from sys.modules).

An import inside a function counts as much as one at the top of a module: both tie the two apps
together. Only `if TYPE_CHECKING:` blocks are left out, since they never run.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import boxoffice

SRC = pathlib.Path(boxoffice.__file__).parent


@dataclass(frozen=True)
class Import:
    path: pathlib.Path  # the importing file
    line: int
    source: str  # the importing app (or top-level module: settings, urls, ...)
    target: str  # the imported app
    module: str  # the imported module, dotted
    in_function: bool

    def where(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line}"


def app_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "boxoffice" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: pathlib.Path) -> list[str]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _absolute(node: ast.ImportFrom, path: pathlib.Path) -> list[str]:
    if not node.level:
        base = node.module or ""
        return [f"{base}.{a.name}" for a in node.names] if base == "boxoffice" else [base]
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - (node.level - 1)]
    base = ".".join([*package, node.module] if node.module else package)
    return [base] if node.module else [f"{base}.{a.name}" for a in node.names]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for other in child.orelse:
                yield from _walk(other, in_function)
            continue
        yield child, in_function
        nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from _walk(child, nested)


def source_files() -> Iterator[pathlib.Path]:
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imports() -> Iterator[Import]:
    for path in source_files():
        source = _module_name(path)[1] if len(_module_name(path)) > 1 else "boxoffice"
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, in_function in _walk(tree, False):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = _absolute(node, path)
            else:
                continue
            for module in modules:
                target = app_of(module)
                if target and target != source:
                    yield Import(path, node.lineno, source, target, module, in_function)
