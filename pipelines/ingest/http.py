"""HTTP for the live sources: timeouts, retries with backoff, rate limits, clear auth errors.

- Every request has a connect and a read timeout.
- Connection errors, timeouts, 5xx and 429 are retried with exponential backoff (a 429's
  `Retry-After` is honoured, capped); other 4xx are not retried.
- 401/403 raise `AuthError` naming the credential to check; 404 raises `NotFound`.
- A minimum interval between requests keeps a client under the provider's rate limit.
- Secrets never appear in messages: query values of credential parameters are redacted.

Credentials come from environment variables, or from an Airflow connection exported as
`AIRFLOW_CONN_<ID>` (JSON or URI); this module never imports Airflow.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from pipelines.ingest.sources import MalformedInput
from pipelines.secrets import mask

log = logging.getLogger(__name__)

SECRET_PARAMS = {"api_key", "token", "apikey"}


class HttpError(RuntimeError):
    """A request failed for good (after retries where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


class AuthError(HttpError):
    """The provider rejected the credential (missing, wrong or expired)."""


class NotFound(HttpError):
    """The provider does not know the requested resource (e.g. an unknown symbol)."""


def credential(env_var: str, conn_id: str | None = None) -> str | None:
    """A secret from `env_var`, else the password of Airflow connection `conn_id` exported as
    `AIRFLOW_CONN_<CONN_ID>` (JSON `{"password": ...}` or a URI `scheme://:secret@host`)."""
    value = os.environ.get(env_var)
    if value:
        return value
    if conn_id is None:
        return None
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw:
        return None
    if raw.lstrip().startswith("{"):
        data = json.loads(raw)
        return data.get("password") or (data.get("extra") or {}).get("token")
    password = urlsplit(raw).password
    return unquote(password) if password else None


def redact(params: dict[str, Any] | None) -> dict[str, Any]:
    return {k: ("***" if k.lower() in SECRET_PARAMS else v) for k, v in (params or {}).items()}


class HttpClient:
    """A `requests` session with the policies above; one per provider."""

    def __init__(self, base_url: str, *, service: str, credential_hint: str = "",
                 headers: dict[str, str] | None = None, timeout: tuple[float, float] = (5.0, 30.0),
                 retries: int = 4, backoff: float = 0.5, max_backoff: float = 30.0,
                 min_interval: float = 0.0, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.credential_hint = credential_hint
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.min_interval = min_interval
        self._sleep = sleep
        self._last = 0.0
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "daa-pipelines/0.1", **(headers or {})})

    def _throttle(self) -> None:
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last = time.monotonic()

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None and response.headers.get("Retry-After"):
            try:
                return min(float(response.headers["Retry-After"]), self.max_backoff)
            except ValueError:
                pass
        return min(self.backoff * 2 ** attempt, self.max_backoff)

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        shown = mask(f"{self.service} GET {url} {redact(params)}")
        last_problem = ""
        for attempt in range(self.retries + 1):
            self._throttle()
            response = None
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                # requests' messages carry the full URL, credentials in the query included
                last_problem = mask(f"{type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                if status < 400:
                    return response
                body = mask(response.text[:300])
                if status in (401, 403):
                    raise AuthError(f"{shown}: HTTP {status}: credential rejected; check "
                                    f"{self.credential_hint or 'the credential'} ({body})", status)
                if status == 404:
                    raise NotFound(f"{shown}: HTTP 404: {body}", status)
                if status != 429 and status < 500:
                    raise HttpError(f"{shown}: HTTP {status}: {body}", status, body)
                last_problem = f"HTTP {status}" + (" (rate limited)" if status == 429 else "") + f": {body}"
            if attempt < self.retries:
                delay = self._delay(attempt, response)
                log.warning("%s: %s; retry %d/%d in %.1fs", shown, last_problem, attempt + 1,
                            self.retries, delay)
                self._sleep(delay)
        raise HttpError(f"{shown}: giving up after {self.retries + 1} attempts: {last_problem}")

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        try:
            return response.json()
        except ValueError:
            raise MalformedInput(mask(f"{self.service} GET {response.url.split('?')[0]}: response is not "
                                      f"JSON ({response.headers.get('Content-Type')}): "
                                      f"{response.text[:200]!r}")) from None
