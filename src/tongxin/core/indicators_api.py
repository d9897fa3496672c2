"""``GET /api/v1/indicators/``: every indicator the caller may see for a division and period, with the same
figures as the pages (:func:`tongxin.core.indicators.evaluate`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from tongxin.core import indicators
from tongxin.core.api_contract import ErrorOut

router = Router(tags=["指标"])


@router.get(
    "/",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="指标（社区、街道、区县或全部，按期间）",
)
def indicator_values(request: HttpRequest, division: str = "", period: str = "", only: str = ""):
    """The indicators (``only``: their keys, comma-separated; default all) of the division with this code (default: the
    caller's highest division; ``*``: the whole deployment) for ``period`` (``2026``, ``2026-03``, ``2026-Q1``,
    ``2026-03-05`` or ``2026-01-01..2026-03-31``; default this year), each with its total and one row per child
    division. 403 without permission to see any indicator, 404 for a division unknown or outside the scope."""
    wanted = [k.strip() for k in only.split(",") if k.strip()] or None  # not "keys": it shadows dict.keys
    try:
        parsed = indicators.parse_period(period)
    except ValueError as exc:
        return Status(422, {"detail": str(exc), "errors": {"period": [str(exc)]}})
    target = indicators.find_division(division) if division else indicators.default_division(request.user, wanted)
    return indicators.evaluate(wanted, target, parsed, request.user)
