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


@pytest.fixture(scope="session")
def acled_frame():
    """The shared ACLED file read once per session (do not modify: copy first)."""
    from routerisk._paths import ACLED_FILE
    from routerisk.readers import read_acled

    return read_acled(shared_file(ACLED_FILE))


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (list of dicts, or raw text) to a CSV file in tmp_path; return its path."""
    import csv

    def _write(rows, name="incidents.csv", *, columns=None):
        path = tmp_path / name
        if isinstance(rows, (str, bytes)):
            mode = "wb" if isinstance(rows, bytes) else "w"
            with open(path, mode) as fh:
                fh.write(rows)
            return path
        cols = columns or list(dict.fromkeys(k for r in rows for k in r))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        return path

    return _write
