"""Shared test fixtures. The shared data (../shared/data) must be beside the checkout."""

from __future__ import annotations

import pytest

from routerisk._paths import GAZETTEER_FILE, shared_file
from routerisk.gazetteer import load_gazetteer


@pytest.fixture(scope="session")
def gazetteer():
    """The shared OSM gazetteer."""
    return load_gazetteer(shared_file(GAZETTEER_FILE))


@pytest.fixture(scope="session")
def trunk_network():
    """The shared OSM-derived trunk network (do not modify: copy first)."""
    from routerisk.network import load_network

    return load_network()


@pytest.fixture(scope="session")
def study_network():
    """The default study network, clipped and cut into <= 10 km pieces (do not modify)."""
    from routerisk.network import load_study_network

    return load_study_network()
