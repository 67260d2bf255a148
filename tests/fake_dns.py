"""What the webhooks' resolver answers in tests (there is no DNS here).

Names a test puts in ANSWERS resolve to those addresses; localhost names to 127.0.0.1; every
other name to a public address.
"""

PUBLIC_ADDRESS = "93.184.216.34"
ANSWERS: dict[str, list[str]] = {}


def resolve(host: str, port: int) -> list[str]:
    if host in ANSWERS:
        return list(ANSWERS[host])
    if host == "localhost" or host.endswith(".localhost"):
        return ["127.0.0.1"]
    return [PUBLIC_ADDRESS]
