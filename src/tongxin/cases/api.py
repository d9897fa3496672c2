"""API of the cases module under /api/v1/cases/."""

from ninja import Router

router = Router(tags=["网格事件与诉求"])
