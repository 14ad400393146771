"""Progress of long runs on the console: a bar on a terminal, plain lines otherwise (logs, CI,
`make run` piped to a file), so every step longer than a moment shows that it is moving.

The runner calls `progress(step, 0, total)` when a step starts, `progress(step, i, total)` as the
items of a mapped step finish and `progress("steps", k, n)` when the k-th step is done. A step
that runs on without a line (training, analytics) gets a heartbeat line every `heartbeat`
seconds, so no step is silent for minutes.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class ConsoleProgress:
    """`progress(step, done, total)` for `pipelines.runner`; `close()` when the run ends."""

    def __init__(self, label: str, stream: TextIO | None = None, heartbeat: float = 10.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bars: dict[str, object] = {}
        self.t0 = time.perf_counter()
        self.heartbeat = heartbeat
        self._last: dict[str, float] = {}
        self._current: tuple[str, float] | None = None   # the running step and when it started
        self._spoke = self.t0                             # when the last line was printed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._beats, name="progress-heartbeat", daemon=True)
        self._beat.start()

    def __call__(self, step: str, done: int, total: int) -> None:
        with self._lock:
            now = time.perf_counter()
            if step != "steps" and done == 0:
                self._current = (step, now)
            if self.tty:
                self._bar(step, done, total)
            else:
                self._line(step, done, total, now)
            if step == "steps":
                self._current = None

    def _bar(self, step: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if step != "steps" and total <= 1:      # a single-call step: named on the steps bar
            bar = self.bars.get("steps")
            if bar is not None and done == 0:
                bar.set_postfix_str(step)
            return
        bar = self.bars.get(step)
        if bar is None:
            unit = "portfolio" if step != "steps" else "step"
            bar = self.bars[step] = tqdm(total=total, desc=f"{self.label} {step}", unit=unit,
                                         file=self.stream, leave=step == "steps")
        bar.update(done - bar.n)
        if done >= total and step != "steps":
            bar.close()

    def _line(self, step: str, done: int, total: int, now: float) -> None:
        if step == "steps":
            name, started = self._current or ("step", now)
            self._print(now, f"{name} done in {now - started:.1f} s (step {done}/{total})")
        elif done == 0:
            self._print(now, f"{step} ..." if total <= 1 else f"{step} 0/{total}")
        # items: every one when few, else at most one line per two seconds, always the last
        elif total <= 40 or done == total or now - self._last.get(step, 0.0) >= 2.0:
            self._last[step] = now
            self._print(now, f"{step} {done}/{total}")

    def _print(self, now: float, text: str) -> None:
        self._spoke = now
        print(f"    [{now - self.t0:6.1f}s] {self.label} {text}", file=self.stream, flush=True)

    def _beats(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat)):
            with self._lock:
                now = time.perf_counter()
                if self._current is None or now - self._spoke < self.heartbeat:
                    continue
                step, started = self._current
                if self.tty:
                    for bar in self.bars.values():
                        bar.refresh()
                    self._spoke = now
                else:
                    self._print(now, f"{step} running for {now - started:.0f} s")

    def close(self) -> None:
        self._stop.set()
        self._beat.join(timeout=2.0)
        for bar in self.bars.values():
            bar.close()
