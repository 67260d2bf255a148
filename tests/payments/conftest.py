"""Payments tests use ``site`` (tests/conftest.py): the bundled Paytrail sandbox over HTTP."""
