"""Print the report page to PDF through headless Chromium.

The page's print style sheet puts each section on its own pages and swaps the interactive
map for its static image, so the PDF reads as a briefing. Chromium is found on ``PATH``
(``chromium``, ``chromium-browser``, ``google-chrome``) or through ``CHROMIUM_BINARY``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from routerisk.errors import DataNotFoundError, RouteRiskError

log = logging.getLogger(__name__)

#: Executables tried in order when ``CHROMIUM_BINARY`` is not set.
CHROMIUM_NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome",
                                   "google-chrome-stable")
#: Seconds Chromium may take to print.
PDF_TIMEOUT_S = 180
INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium) or set "
                "CHROMIUM_BINARY to a Chromium or Chrome executable")


def find_chromium() -> str:
    """Path of a Chromium executable.

    Raises
    ------
    DataNotFoundError
        When none is found; the message says how to install one.
    """
    env = os.environ.get("CHROMIUM_BINARY")
    if env:
        if Path(env).is_file():
            return env
        raise DataNotFoundError(f"--pdf: CHROMIUM_BINARY={env} does not exist; "
                                + INSTALL_HINT)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise DataNotFoundError("--pdf needs headless Chromium, which was not found: "
                            + INSTALL_HINT)


def print_pdf(index: Path, pdf: Path, *, binary: str | None = None) -> Path:
    """Print ``index`` (an HTML file) to ``pdf`` with headless Chromium.

    The PDF is written to a temporary name beside ``pdf`` and renamed when complete.
    Chromium runs with a throw-away profile and without any background network traffic.
    """
    exe = binary or find_chromium()
    pdf = Path(pdf)
    tmp_pdf = pdf.with_name(f".{pdf.name}.tmp")
    with tempfile.TemporaryDirectory(prefix="routerisk-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={tmp_pdf}", "--no-pdf-header-footer",
               Path(index).resolve().as_uri()]
        log.info("printing %s to PDF with %s", index, exe)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            tmp_pdf.unlink(missing_ok=True)
            raise RouteRiskError(f"--pdf: Chromium did not finish within {PDF_TIMEOUT_S} s"
                                 ) from exc
    if proc.returncode != 0 or not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
        tmp_pdf.unlink(missing_ok=True)
        last = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise RouteRiskError(f"--pdf: Chromium ({exe}) failed with exit code "
                             f"{proc.returncode}: {last[0]}")
    os.replace(tmp_pdf, pdf)
    return pdf
