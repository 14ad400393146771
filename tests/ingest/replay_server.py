"""Recorded-response replay for the ingest tests (a plain module, imported by conftest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Path = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, Path):
            return self.body.read_bytes()
        return self.body.encode() if isinstance(self.body, str) else self.body


class Replay:
    """Routes: path -> replies served in order (the last one repeats). Requests are recorded."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[dict] = []
        self.url = ""

    def add(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def calls(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


def fixture(name: str) -> Path:
    return FIXTURES / name
