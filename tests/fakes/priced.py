"""A priced test backend: previz pictures at a provider's price, to exercise budgets."""

from __future__ import annotations

from typing import ClassVar

from takelab.backends import JobStatus, TakeRequest
from takelab.backends.previz import PrevizBackend


class PricedPreviz(PrevizBackend):
    name: ClassVar[str] = "priced"
    default_model: ClassVar[str] = "tenth"
    models: ClassVar[tuple[str, ...]] = ("tenth",)
    price_note: ClassVar[str] = "$0.10/s (test backend)"
    usd_per_second: ClassVar[float] = 0.10

    def price(self, request: TakeRequest) -> float:
        return round(self.usd_per_second * request.duration_s, 6)

    def poll(self, job_id: str) -> JobStatus:
        # Previz reports what it charged (nothing); this backend charges its table price.
        return super().poll(job_id).model_copy(update={"cost_usd": None})
