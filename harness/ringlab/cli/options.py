"""Option values checked before anything starts: one BadConfig (one line, exit 2) each."""
from __future__ import annotations

import math
from typing import Optional, Union

from ..core.errors import BadConfig

#: the longest --timeout taken (a year): beyond it a typo is likelier than a wish
MAX_TIMEOUT_S = 365 * 24 * 3600.0


def seconds(value: Union[str, float, None], default_s: float,
            option: str = "--timeout") -> float:
    """``value`` (invoke's text, or a number) as seconds, or ``default_s`` when None.

    Raises:
        BadConfig: not a number, not finite, not positive, or more than MAX_TIMEOUT_S.
    """
    if value is None:
        return default_s
    try:
        s = float(value)
    except (TypeError, ValueError):
        raise BadConfig(f"{option} {value}: not a number of seconds") from None
    if not math.isfinite(s) or s <= 0 or s > MAX_TIMEOUT_S:
        raise BadConfig(f"{option} {value}: want seconds > 0 and at most "
                        f"{MAX_TIMEOUT_S:g} (a year)")
    return s


def optional_seconds(value: Union[str, float, None], option: str = "--timeout"
                     ) -> Optional[float]:
    """``seconds`` that keeps None (the task picks its default later)."""
    return None if value is None else seconds(value, 0.0, option)
