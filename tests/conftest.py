"""Shared test fixtures. The shared data (../shared/data) must be beside the checkout."""

from __future__ import annotations

import pytest

from routerisk._paths import GAZETTEER_FILE, shared_file
from routerisk.gazetteer import load_gazetteer


@pytest.fixture(scope="session")
def gazetteer():
    """The shared OSM gazetteer."""
    return load_gazetteer(shared_file(GAZETTEER_FILE))
