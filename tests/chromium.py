"""Headless Chromium for tests that look at pages as a user does (selenium + Debian's driver).

Debian's ``chromium`` and ``chromium-driver`` packages provide ``/usr/bin/chromium`` and
``/usr/bin/chromedriver`` (``.ci/run`` installs them). When they are missing the tests fail
with a message saying how to install them: they never skip silently.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)

#: Flags for running as root inside a container without network access: without the
#: background-networking flags Chromium's own connections are refused by a closed network and
#: show up as errors.
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
)


def _find(env: str, candidates: tuple[str, ...], name: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    for c in candidates:
        if Path(c).is_file():
            return c
    return shutil.which(name)


def find_chromium() -> tuple[str, str]:
    """Paths of the Chromium binary and of chromedriver; fail the test when either is missing."""
    binary = _find("CHROMIUM_BINARY", CHROMIUM_CANDIDATES, "chromium")
    driver = _find("CHROMEDRIVER", CHROMEDRIVER_CANDIDATES, "chromedriver")
    if not binary or not driver:
        pytest.fail(
            "headless Chromium is needed to test the report as a user sees it, but "
            f"{'chromium' if not binary else 'chromedriver'} was not found. Install Debian's "
            "packages: apt-get install -y chromium chromium-driver (.ci/run does this), or set "
            "CHROMIUM_BINARY and CHROMEDRIVER.", pytrace=False)
    return binary, driver


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A selenium Chrome driver on headless Chromium with browser console logging enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = find_chromium()
    profile = tempfile.mkdtemp(prefix="routerisk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def severe_console_errors(driver: object, *, allow: tuple[str, ...] = ()) -> list[str]:
    """SEVERE browser-console entries, minus those containing any of ``allow``."""
    entries = driver.get_log("browser")  # type: ignore[attr-defined]
    return [e["message"] for e in entries
            if e.get("level") == "SEVERE" and not any(a in e["message"] for a in allow)]
