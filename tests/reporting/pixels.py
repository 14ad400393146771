"""Pixel checks shared by the report tests and the headless-browser check: a chart whose
stacked area has holes (dates drawn as gaps) shows background-white columns inside it."""

from __future__ import annotations

import numpy as np
from PIL import Image

ROWS = (0.12, 0.3, 0.47, 0.65, 0.82)   # heights inside the regime chart's 0-100% plot area


def white_gaps(img: Image.Image, rows: tuple[float, ...] = ROWS, x_frac: tuple[float, float] = (0.07, 0.88),
               white: int = 245) -> int:
    """Widest run of near-white pixels between the first and last coloured pixel of a row,
    over rows at the given fractions of the height (a stacked 0-100% area is coloured all the
    way up), looking only inside the plot's horizontal span `x_frac` (the legend sits to its
    right). 0 when there is none."""
    a = np.asarray(img.convert("RGB"), dtype=int)
    return max(_row_gap(a, f, x_frac, white) for f in rows)


def _row_gap(a: np.ndarray, row_frac: float, x_frac: tuple[float, float], white: int) -> int:
    width = a.shape[1]
    row = a[int(a.shape[0] * row_frac), int(width * x_frac[0]):int(width * x_frac[1])]
    spread = row.max(axis=1) - row.min(axis=1)
    coloured = np.flatnonzero(spread > 40)
    if len(coloured) < 2:
        return 0
    inside = row[coloured[0]:coloured[-1] + 1]
    is_white = (inside >= white).all(axis=1)
    best = run = 0
    for w in is_white:
        run = run + 1 if w else 0
        best = max(best, run)
    return best
