"""Every URL and every API operation has its row in the access matrix, and no row is stale.

A new URL or API operation fails here until tests/security/matrix.py says who may use it.
"""

from collections import Counter

from django.conf import settings

from boxoffice.accounts.models import Role

from . import matrix
from .inventory import api_operations, url_patterns
from .world import PARAMETERS

ADD_A_ROW = (
    "Add a row for it to TABLE in tests/security/matrix.py, saying what each principal gets "
    "(its docstring explains the columns and outcomes)."
)


def test_the_principals_are_the_real_roles() -> None:
    assert set(matrix.ROLES) == set(Role.values), "matrix.ROLES must list accounts.Role exactly"
    assert set(matrix.ROLES) < set(matrix.PRINCIPALS)


def test_no_row_twice() -> None:
    twice = [key for key, n in Counter(row.key for row in matrix.TABLE).items() if n > 1]
    assert not twice, f"rows given twice in tests/security/matrix.py: {twice}"


def test_every_url_has_a_row() -> None:
    patterns = url_patterns()
    unnamed = [p.route for p in patterns if p.name is None]
    assert not unnamed, f"URL patterns without a name cannot be in the access matrix: {unnamed}"
    served = {p.name for p in patterns if not p.is_api_operation}
    listed = {row.name for row in matrix.url_rows()}
    missing = sorted(str(name) for name in served - listed)
    assert not missing, f"URLs without a row in the access matrix: {missing}. {ADD_A_ROW}"


def test_no_stale_url_rows() -> None:
    served = {p.name for p in url_patterns()}
    stale = sorted(
        row.name
        for row in matrix.url_rows()
        if row.name not in served and not (row.sandbox and not settings.PAYTRAIL_SANDBOX)
    )
    assert not stale, f"rows of tests/security/matrix.py naming no URL: {stale}; remove them"


def test_every_api_operation_has_exactly_one_row() -> None:
    operations = api_operations()
    listed = {(row.name, row.method) for row in matrix.api_rows()}
    missing = sorted(set(operations) - listed)
    assert not missing, f"API operations without a row in the access matrix: {missing}. {ADD_A_ROW}"
    stale = sorted(listed - set(operations))
    assert not stale, f"rows of tests/security/matrix.py naming no API operation: {stale}"


def test_every_api_pattern_is_an_operation() -> None:
    """What the resolver's ninja patterns answer is what OpenAPI documents (so an operation left
    out of the schema cannot slip past the matrix either)."""
    documented = set(api_operations())
    served: set[tuple[str, str]] = set()
    for pattern in url_patterns():
        if pattern.is_api_operation:
            methods = pattern.api_methods()
            assert methods, f"cannot tell the methods of {pattern.route} (ninja changed?)"
            served |= {(pattern.openapi_path, method) for method in methods}
    undocumented = sorted(served - documented)
    assert not undocumented, f"API operations missing from the OpenAPI schema: {undocumented}"
    assert documented <= served


def test_every_path_parameter_has_a_value() -> None:
    """The access test fills path parameters by name (world.PARAMETERS)."""
    names = {name for p in url_patterns() for name in p.parameters}
    names |= {
        part.strip("{}")
        for path, _method in api_operations()
        for part in path.split("/")
        if part.startswith("{")
    }
    unknown = sorted(names - set(PARAMETERS))
    assert not unknown, f"give these path parameters a value in tests/security/world.py: {unknown}"


def test_rows_name_every_principal_and_known_outcomes() -> None:
    for row in matrix.TABLE:
        assert tuple(row.expect) == matrix.PRINCIPALS, row
        assert set(row.expect.values()) <= matrix.OUTCOMES, row
        assert set(row.xfail) <= set(matrix.PRINCIPALS), row
        assert row.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, row


def test_counts() -> None:
    """`python tests/security/matrix.py` prints these; the table covers every principal."""
    counts = matrix.counts()
    print(matrix.summary())
    assert counts["assertions"] == len(matrix.TABLE) * len(matrix.PRINCIPALS)
    assert counts["api_operations"] == len(api_operations())
