"""Identifiers of client accounts and cash flows, checked before they touch a path or SQL.

One place to swap for the project-wide identifier module once it lands.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
FLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:-]{0,63}$")
ACCOUNT_ID_TEXT = "1-48 characters: letters, digits, '_' or '-', starting with a letter or digit"


def check_account_id(value: str) -> str:
    """`value` if it is a valid account id, else ValueError naming it."""
    if not isinstance(value, str) or not ACCOUNT_ID.match(value):
        raise ValueError(f"not an account id ({ACCOUNT_ID_TEXT}): {value!r}")
    return value


def valid_ids(values: pd.Series, pattern: re.Pattern[str] = ACCOUNT_ID) -> np.ndarray:
    """(n,) bool: which strings of `values` match `pattern` (vectorised for large files)."""
    text = values.astype("string")
    return text.str.fullmatch(pattern.pattern[1:-1]).fillna(False).to_numpy(dtype=bool)
