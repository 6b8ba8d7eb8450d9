"""``/v1/promotions``: move the champion and challenger aliases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends

from modelfleet.common.wire import PromotionRequest, PromotionResult
from modelfleet.trainer import promotion
from modelfleet.trainer.context import TrainerContext


def router(ctx: TrainerContext, auth: Callable[..., Awaitable[None]]) -> APIRouter:
    api = APIRouter(prefix="/v1/promotions", tags=["promotions"])

    @api.post("", dependencies=[Depends(auth)])
    def promote(request: PromotionRequest) -> PromotionResult:
        """Champion to the best version, challenger to the runner-up; 409 on tie/regression."""
        with ctx.session() as session:
            return promotion.promote(session, ctx.mlflow(), request)

    return api
