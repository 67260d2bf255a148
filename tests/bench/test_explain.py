"""`bench run --explain` replays a query under the SET LOCALs it ran with; search terms."""

import random

from boxoffice.benchmark.run import partial_term, with_local_settings


def q(sql: str, time: str = "0.001") -> dict[str, str]:
    return {"sql": sql, "time": time}


def test_selects_keep_the_set_locals_of_their_transaction() -> None:
    queries = [
        q("SELECT 1"),
        q("BEGIN"),
        q("SET LOCAL enable_seqscan = off"),
        q("SAVEPOINT s1"),
        q('SELECT "orders_order"."id" FROM "orders_order"'),
        q("RELEASE SAVEPOINT s1"),
        q("COMMIT"),
        q("SELECT COUNT(*) FROM x"),
        q('UPDATE "api_apitoken" SET last_used_at = now()'),
    ]
    found = [(query["sql"], local) for query, local in with_local_settings(queries)]
    assert found == [
        ("SELECT 1", []),
        ('SELECT "orders_order"."id" FROM "orders_order"', ["SET LOCAL enable_seqscan = off"]),
        ("SELECT COUNT(*) FROM x", []),
    ]


def test_partial_terms_are_four_to_eight_characters_of_the_email_or_name() -> None:
    rng = random.Random(1)
    for _ in range(200):
        term = partial_term(rng, "maija.virtanen@example.fi", "Maija Virtanen")
        assert 4 <= len(term) <= 8
        assert term in "maija.virtanen" or term in "Maija Virtanen"
