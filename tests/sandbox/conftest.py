"""Fixtures of the sandbox ORM tests: a small company served by a fresh SandboxService."""

from __future__ import annotations

import pytest

from tests.sandbox.ledger_books import make_service


@pytest.fixture()
def svc(tmp_path):
    service = make_service(tmp_path)
    yield service
    service.store.close()
