"""``uicontains``: case-insensitive substring match that also folds ä/Ä, ö/Ö, å/Å.

PostgreSQL's ``icontains`` (UPPER ... LIKE UPPER ...) already handles every letter. SQLite's
LIKE folds only ASCII, so "öhman" would miss "Öhman": there we compare Python-casefolded text
through a function registered on each connection.
"""

import unicodedata
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, TextField
from django.db.models.lookups import IContains

SQLITE_FUNCTION = "boxoffice_casefold"


def _casefold(value: str | None) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).casefold()


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _casefold, deterministic=True)


class UnicodeIContains(IContains):
    lookup_name = "uicontains"

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        # Other engines fold every letter already: plain icontains it is.
        sql, params = IContains(self.lhs, self.rhs).as_sql(compiler, connection)
        return sql, list(params)

    def as_sqlite(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        # The pattern already carries its % wildcards and escapes; fold its letters only.
        folded = [_casefold(p) if isinstance(p, str) else p for p in rhs_params]
        return (
            f"{SQLITE_FUNCTION}({lhs_sql}) LIKE {rhs_sql} ESCAPE '\\'",
            [*lhs_params, *folded],
        )


CharField.register_lookup(UnicodeIContains)
TextField.register_lookup(UnicodeIContains)
