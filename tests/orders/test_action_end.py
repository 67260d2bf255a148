"""history.at_action_end: work asked for by several rows of one action runs once, at its end."""

import pytest

from boxoffice.orders import history


def test_runs_once_per_key_when_the_outermost_action_ends() -> None:
    ran: list[str] = []
    with history.action():
        with history.action():  # a service called by another joins its action
            history.at_action_end("a", lambda: ran.append("a"))
        history.at_action_end("a", lambda: ran.append("a again"))
        history.at_action_end("b", lambda: ran.append("b"))
        assert ran == []
    assert ran == ["a", "b"]


def test_runs_at_once_outside_any_action() -> None:
    ran: list[str] = []
    history.at_action_end("a", lambda: ran.append("a"))
    assert ran == ["a"]


def test_work_queued_by_work_runs_too() -> None:
    ran: list[str] = []

    def first() -> None:
        ran.append("first")
        history.at_action_end("second", lambda: ran.append("second"))

    with history.action():
        history.at_action_end("first", first)
    assert ran == ["first", "second"]


def test_an_action_that_raises_runs_nothing() -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), history.action():
        history.at_action_end("a", lambda: ran.append("a"))
        raise RuntimeError("rolled back")
    assert ran == []
    with history.action():  # and leaves nothing behind for the next action
        pass
    assert ran == []
