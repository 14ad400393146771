"""Headless Debian chromium driven over the Chrome DevTools protocol on a pipe.

`--remote-debugging-pipe` makes chromium read protocol messages (JSON, NUL-terminated) on fd 3
and write replies and events on fd 4: no browser download, no driver, no websocket, no port.
Used by the stack test to log in to the Airflow UI and screenshot it the way a person sees it.
Every wait is bounded; the browser runs in its own session and is stopped by its PID.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio", "--lang=en-US"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("chromium not installed: apt-get install -y chromium")
    return path


class Browser:
    """One chromium process and one page (tab) attached in flat mode."""

    def __init__(self, profile: Path, log: Path, size: tuple[int, int] = (1600, 1000)) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb() -> None:  # in the child: our pipe ends become fds 3 (commands) and 4 (replies)
            high_r, high_w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._log = open(log, "wb")  # noqa: SIM115 - lives as long as the browser process
        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             f"--window-size={size[0]},{size[1]}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=plumb, close_fds=False, start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict] = []
        self.size = size
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page.enable", "Runtime.enable"):
                self.call(domain, session=True)
            self.call("Emulation.setDeviceMetricsOverride", session=True, width=size[0], height=size[1],
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"chromium closed the DevTools pipe (exit {self.proc.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params: Any) -> dict:
        """Send one command and return its result; events read meanwhile are kept in `events`."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
            del self.events[:-200]

    # ------------------------------------------------------------------ page helpers
    def evaluate(self, expression: str) -> Any:
        res = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                        awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression[:80]}: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def goto(self, url: str) -> None:
        res = self.call("Page.navigate", session=True, url=url)
        if res.get("errorText"):
            raise RuntimeError(f"navigate {url}: {res['errorText']}")

    def wait_for(self, what: str, expression: str, timeout: float = 60, settle: float = 1.5) -> None:
        """Poll a JS expression until truthy, then let the page settle (charts, lazy requests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(expression):
                    time.sleep(settle)
                    return
            except RuntimeError:  # page mid-navigation: the context is gone for a moment
                pass
            time.sleep(0.5)
        text = self.text()[:600].replace("\n", " | ")
        raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}; "
                           f"url {self.evaluate('location.href')}; page text: {text}")

    def text(self) -> str:
        try:
            return self.evaluate("document.body ? document.body.innerText : ''") or ""
        except RuntimeError:
            return ""

    def type_into(self, selector: str, value: str) -> None:
        """Focus an input and type as a keyboard would, so React's controlled inputs see it."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " if (!e) return false; e.focus(); e.select && e.select(); return true; })()")
        if not found:
            raise RuntimeError(f"no element {selector} on {self.evaluate('location.href')}")
        self.call("Input.insertText", session=True, text=value)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", session=True, format="png", timeout=90)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self, grace: float = 10) -> None:
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
