"""Programme fixtures: SQLite services with the shipped routes and the programme's people."""

from __future__ import annotations

import pytest

from tests.support.programme import programme_team


@pytest.fixture
def programme(lite):
    """SQLite services with the shipped routes deployed and the programme's people."""
    programme_team(lite)
    return lite
