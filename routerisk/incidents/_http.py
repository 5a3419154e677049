"""HTTP for the incident APIs: JSON over stdlib :mod:`urllib`, with bounded retries.

Retried: HTTP 429 and 5xx (waiting what ``Retry-After`` says when it says it, else an
exponential backoff), a connection refused, reset or dropped mid-body, and a body that is not
valid JSON (a truncated page). Not retried: 401/403 (:class:`AuthError`, one line naming the
credentials to check) and other 4xx. Sleeping goes through an injectable ``sleep`` so tests
run in milliseconds. Credentials travel in headers or POST bodies only and never appear in a
message or a log line; URLs are logged without their query string."""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from routerisk.errors import RouteRiskError

logger = logging.getLogger(__name__)

#: Status codes worth retrying.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class FetchError(RouteRiskError):
    """A source API could not be read (after retries); the message says what and where."""


class AuthError(FetchError):
    """The source refused the credentials (HTTP 401 or 403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Retry:
    """Retry policy: at most ``attempts`` tries per request, waits ``base_s * 2**k``
    (or ``Retry-After``), each capped at ``max_wait_s``; ``sleep`` is injectable."""

    attempts: int = 6
    base_s: float = 2.0
    max_wait_s: float = 120.0
    timeout_s: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def wait_s(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 0)."""
        wait = self.base_s * 2 ** attempt
        if retry_after:
            parsed = _retry_after_s(retry_after)
            if parsed is not None:
                wait = parsed
        return max(0.0, min(wait, self.max_wait_s))


def _retry_after_s(value: str) -> float | None:
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _shown(url: str) -> str:
    """The URL without its query string (for messages)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def request_json(url: str, *, what: str, params: Mapping[str, object] | None = None,
                 headers: Mapping[str, str] | None = None,
                 form: Mapping[str, str] | None = None, retry: Retry | None = None,
                 auth_hint: str = "") -> object:
    """GET (or POST ``form``) ``url`` and parse the JSON body, retrying transient failures.

    Parameters
    ----------
    url
        The endpoint; ``params`` are added as its query string.
    what
        What is being fetched, for messages ("ACLED events page 3").
    headers, form
        Request headers; a form to POST (``application/x-www-form-urlencoded``).
    retry
        The retry policy (default :class:`Retry`).
    auth_hint
        Appended to the 401/403 message: which credentials to check.

    Raises
    ------
    AuthError
        On 401/403.
    FetchError
        On other 4xx, or when retries are exhausted.
    """
    retry = retry or Retry()
    if params:
        query = urllib.parse.urlencode({k: str(v) for k, v in params.items()}, safe="|,:")
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    data = urllib.parse.urlencode(dict(form)).encode() if form is not None else None
    hdrs = {"Accept": "application/json", "User-Agent": "routerisk"}
    hdrs.update(headers or {})
    last = ""
    for attempt in range(retry.attempts):
        retry_after = None
        try:
            req = urllib.request.Request(url, data=data, headers=hdrs,
                                         method="POST" if data is not None else "GET")
            with urllib.request.urlopen(req, timeout=retry.timeout_s) as resp:
                body = resp.read()
            try:
                return json.loads(body)
            except ValueError as exc:
                last = f"the response is not valid JSON ({exc.__class__.__name__}: {exc})"
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise AuthError(f"{what}: {_shown(url)} refused the credentials (HTTP "
                                f"{exc.code}){'; ' + auth_hint if auth_hint else ''}",
                                exc.code) from None
            if exc.code not in RETRY_STATUS:
                raise FetchError(f"{what}: {_shown(url)} answered HTTP {exc.code} "
                                 f"{exc.reason}") from None
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            last = f"HTTP {exc.code} {exc.reason}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            last = f"connection failed ({reason.__class__.__name__}: {reason})"
        if attempt + 1 < retry.attempts:
            wait = retry.wait_s(attempt, retry_after)
            logger.warning("%s: %s; retrying in %.1f s (try %d of %d)", what, last, wait,
                           attempt + 2, retry.attempts)
            retry.sleep(wait)
    raise FetchError(f"{what}: {_shown(url)}: {last}; gave up after {retry.attempts} tries "
                     f"(run the command again to resume)")
