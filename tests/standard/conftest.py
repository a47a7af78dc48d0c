"""Fixtures for standard audience tests, shared with the Events API tests: `post` sends a body
to an Events API path as the tenant's input, and committed tests (a real worker) drop the
event partitions they leave behind."""

from __future__ import annotations

from tests.events_api.conftest import partitions_dropped_after, post  # noqa: F401
