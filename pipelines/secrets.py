"""Credential masking: no secret reaches a message, a log, a file or the warehouse.

`mask(text)` replaces
- every configured secret value: the environment variables that hold credentials
  (`FRED_API_KEY`, `TIINGO_API_TOKEN`, any `*_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`) and the
  passwords of Airflow connections exported as `AIRFLOW_CONN_<ID>`, whatever the text around them;
- credential-looking parts of URLs and headers even when the value is not configured here:
  `api_key=...`, `token=...` query parameters, `Authorization: Token ...`, `user:secret@host`.

Every path that records an error applies it: the HTTP client (requests' exceptions carry the
full URL, `api_key=` included), the CLI's error line and its `pipeline_runs` row, the run
records, the quality gate's results, quarantine reasons and reports, and the log handlers
(`install_log_filter`).
"""

from __future__ import annotations

import json
import logging
import os
import re
from urllib.parse import unquote, urlsplit

MASK = "***"
SECRET_ENV = ("FRED_API_KEY", "TIINGO_API_TOKEN")
SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
MIN_SECRET_CHARS = 6   # shorter values would mask ordinary words
_PATTERNS = (
    re.compile(r"(?i)(\b(?:api_?key|access_?token|token|password|passwd|secret)=)([^&\s'\"<>]+)"),
    re.compile(r"(?i)(\b(?:api_?key|access_?token|token|password|secret)['\"]?\s*:\s*['\"])([^'\"]+)"),
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:token|bearer|basic)\s+)([^\s'\"]+)"),
    re.compile(r"(://[^:/\s@'\"]*:)([^@\s/'\"]+)(?=@)"),
)
_registered: set[str] = set()


def register(value: str | None) -> None:
    """Mask `value` from now on (a credential read from somewhere other than the environment)."""
    if value and len(value) >= MIN_SECRET_CHARS:
        _registered.add(value)


def _connection_password(raw: str) -> str | None:
    try:
        if raw.lstrip().startswith("{"):
            data = json.loads(raw)
            return data.get("password") or (data.get("extra") or {}).get("token")
        password = urlsplit(raw).password
        return unquote(password) if password else None
    except (ValueError, AttributeError):
        return None


def secret_values() -> set[str]:
    """The credential values configured in this process's environment (and registered ones)."""
    out = set(_registered)
    for name, value in os.environ.items():
        if name in SECRET_ENV or SECRET_NAME.search(name):
            out.add(value)
        elif name.startswith("AIRFLOW_CONN_"):
            out.add(_connection_password(value) or "")
    return {v for v in out if len(v) >= MIN_SECRET_CHARS}


def mask(text: object) -> str:
    """`text` as a string with every secret and credential-looking value replaced by ***."""
    out = str(text)
    for value in sorted(secret_values(), key=len, reverse=True):
        out = out.replace(value, MASK)
    for pattern in _PATTERNS:
        out = pattern.sub(lambda m: m.group(1) + MASK, out)
    return out


class MaskingFilter(logging.Filter):
    """A handler filter: the formatted message and any traceback of a record, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Mask every record that reaches the handlers of `logger` (default: the root logger)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
