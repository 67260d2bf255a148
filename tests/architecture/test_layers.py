"""The apps form layers and every import points down (DESIGN.md §2).

A failure names the file and line of the import that points up or sideways. The fix is never to
move the import into a function: publish an order event (orders.signals), move the shared thing
down, or pass a value in.
"""

from __future__ import annotations

from .imports import SRC, Import, imports

# Lower numbers are lower layers. Two apps on the same rank are peers and may not import each
# other (the three faces above all). The second number orders apps inside one layer where one
# plainly builds on another.
RANKS: dict[str, tuple[int, int]] = {
    "settings": (0, 0),  # configuration: read by everyone, imports no app
    "formats": (0, 0),  # Django's FORMAT_MODULE_PATH: data only
    "common": (1, 0),
    "accounts": (2, 0),
    # Long work over many orders (exports, event cancellation): the runner and its lease; the
    # kinds of job register their handlers from above.
    "jobs": (2, 1),
    "catalog": (3, 0),
    "orders": (4, 0),
    "payments": (5, 0),
    # The subscribers of order events. Emails attach the ticket and receipt PDFs.
    "documents": (6, 0),
    "notifications": (6, 1),
    "webhooks": (6, 1),
    "checkin": (6, 1),
    # Order exports: the list's rows as spreadsheets (with the documents' VAT arithmetic).
    "exports": (6, 2),
    # Bulk actions on the list: one action (resend, mark paid, cancel with refund) over many
    # orders, by the order page's own services.
    "bulk": (6, 2),
    # The three faces: parse, call one rule / service / selector, render.
    "backoffice": (7, 0),
    "customer": (7, 0),
    "api": (7, 0),
    # Processes and development tools. The demo pays through the sandbox; the benchmark seeds
    # with the demo's catalog and names.
    "processes": (8, 0),
    "paytrail_sandbox": (8, 0),
    "demo": (8, 1),
    "benchmark": (8, 2),
    # The project: URL table, WSGI entry, the `boxoffice` command.
    "urls": (9, 0),
    "wsgi": (9, 0),
    "__main__": (9, 0),
    "boxoffice": (9, 0),  # boxoffice/__init__.py
}

# Imports inside functions that cross apps. Each stays only with a comment saying why, on its
# line or the line above.
MAX_IMPORTS_IN_FUNCTIONS = 2


def _points_up(i: Import) -> bool:
    return RANKS[i.target] >= RANKS[i.source]


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")}
    missing = sorted((apps | modules) - set(RANKS) - {"__init__"})
    assert not missing, f"give these a layer in RANKS: {missing}"


def test_no_import_points_up_or_between_peers() -> None:
    wrong = [
        f"{i.where()}: {i.source} imports {i.module} ({i.target} is not below {i.source})"
        for i in imports()
        if _points_up(i)
    ]
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_few_imports_hide_in_functions_and_each_says_why() -> None:
    hidden = [i for i in imports() if i.in_function]
    lines = {i: i.path.read_text().splitlines() for i in hidden}
    silent = [
        i.where()
        for i in hidden
        if "#" not in lines[i][i.line - 1] and not lines[i][i.line - 2].strip().startswith("#")
    ]
    assert len(hidden) <= MAX_IMPORTS_IN_FUNCTIONS, "\n".join(i.where() for i in hidden)
    assert not silent, f"say why these imports sit inside a function: {silent}"
