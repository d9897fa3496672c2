"""Personal data helpers: masking for display (encryption at rest: :mod:`tongxin.core.crypto`)."""

from __future__ import annotations


def mask(value: str, keep_start: int | None = None, keep_end: int = 4) -> str:
    """Mask the middle of a personal value: ``530424********0012`` for an ID, ``139****5678`` for a phone."""
    value = value or ""
    n = len(value)
    if n <= keep_end:
        return "*" * n
    if keep_start is None:
        keep_start = 6 if n >= 15 else 3
    keep_start = min(keep_start, max(0, n - keep_end - 1))
    return value[:keep_start] + "*" * (n - keep_start - keep_end) + value[n - keep_end :]
