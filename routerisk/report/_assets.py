"""Static assets inlined into the report: Leaflet's JavaScript and CSS.

Leaflet 1.9.4 (BSD-2-Clause, see ``static/leaflet/LICENSE``) is vendored from its npm
package's ``dist/`` folder so the report opens without any network access. The CSS refers to
a few images (layer-control icon, default marker); they are inlined as ``data:`` URIs.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources

#: Version of the vendored Leaflet.
LEAFLET_VERSION = "1.9.4"

_LEAFLET = "static/leaflet"


def _read(relative: str) -> bytes:
    return resources.files("routerisk.report").joinpath(relative).read_bytes()


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map comment."""
    text = _read(f"{_LEAFLET}/leaflet.js").decode("utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/...)`` replaced by a ``data:`` URI."""
    text = _read(f"{_LEAFLET}/leaflet.css").decode("utf-8")

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode(_read(f"{_LEAFLET}/{match.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text)
