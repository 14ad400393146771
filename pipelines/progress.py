"""Progress of long runs on the console: a bar on a terminal, plain lines otherwise (logs, CI,
`make run` piped to a file), so every step longer than a moment shows that it is moving."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ConsoleProgress:
    """`progress(step, done, total)` for `pipelines.runner`; `close()` when the run ends."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bars: dict[str, object] = {}
        self.t0 = time.perf_counter()
        self._last: dict[str, float] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.tty:
            from tqdm import tqdm

            bar = self.bars.get(step)
            if bar is None:
                unit = "portfolio" if step != "steps" else "step"
                bar = self.bars[step] = tqdm(total=total, desc=f"{self.label} {step}", unit=unit,
                                             file=self.stream, leave=step == "steps")
            bar.update(done - bar.n)
            if done >= total and step != "steps":
                bar.close()
            return
        now = time.perf_counter()
        # plain lines: every item when few, else at most one line per two seconds, always the last
        if total <= 40 or done == total or now - self._last.get(step, 0.0) >= 2.0:
            self._last[step] = now
            print(f"    [{now - self.t0:6.1f}s] {self.label} {step} {done}/{total}", file=self.stream, flush=True)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
