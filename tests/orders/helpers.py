"""Plain helpers for the order tests."""


def mentions(error: Exception, *fragments: object) -> bool:
    """The refusal's message is for a person: non-empty and naming what it is about.

    Checked by fragments, not verbatim, so rewording a message does not break the tests.
    """
    message = str(error).casefold()
    assert message.strip(), "empty message"
    missing = [f for f in fragments if str(f).casefold() not in message]
    assert not missing, f"{str(error)!r} does not mention {missing}"
    return True
