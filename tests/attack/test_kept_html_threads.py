"""The per-process caches of the order list (filter_controls._kept, backoffice_nav._headers)
are plain OrderedDicts shared by every thread of a process. Under a threaded server (Django's
runserver, gunicorn --threads / gthread) one thread may evict the entry another has just
found, between its ``get`` and its ``move_to_end``."""

import sys
import threading
import time

import pytest
from django.test import RequestFactory

from boxoffice.backoffice import filter_controls
from boxoffice.backoffice.forms import OrderFilterForm


@pytest.fixture
def fast_render(monkeypatch):
    # The race is in the bookkeeping, not the rendering: a render that costs nothing makes
    # the threads meet there often.
    monkeypatch.setattr(filter_controls, "render_to_string", lambda *a, **k: "<x>")
    monkeypatch.setattr(filter_controls, "KEPT", 1)
    filter_controls._kept.clear()
    yield
    filter_controls._kept.clear()


def test_threads_sharing_the_kept_controls_never_fail(fast_render, db):
    """Fixed (threaded servers only): KeyError from ``_kept.move_to_end(key)`` when another
    thread evicted ``key`` after this one's ``_kept.get(key)`` found it: the page is a 500.
    The same pattern is in backoffice_nav.backoffice_topbar (_headers). `boxoffice serve`
    runs gunicorn's sync workers (one thread each), so it does not happen there today."""
    factory = RequestFactory()
    cases = []
    for status in ("paid", "reserved", "cancelled"):
        request = factory.get("/backoffice/orders/", {"status": status})
        form = OrderFilterForm(request.GET, events=[], organizers=None)
        form.is_valid()
        cases.append((request, form))
    errors: list[BaseException] = []
    stop = time.monotonic() + 3

    def hammer(offset: int) -> None:
        i = offset
        while time.monotonic() < stop and not errors:
            request, form = cases[i % len(cases)]
            try:
                filter_controls.filter_controls(request, form, attention_only=False, filtered=True)
            except Exception as error:
                errors.append(error)
            i += 1 if i % 7 else 2

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(before)
    assert not errors, repr(errors[0])
