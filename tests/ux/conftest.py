"""Fixtures shared with the portfolio tests."""

from tests.portfolios.conftest import world  # noqa: F401
