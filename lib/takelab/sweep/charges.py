"""Money from outside, checked: what a provider says it charged is believed only when it is
plausible, and a charge above its reservation raises the price later takes reserve.

A provider's cost report is text from a server takelab does not control. A negative charge
would free budget for later claims; a non-finite one breaks every sum; an absurd one (say
a decimal point in the wrong place) would stop a project. Those are booked at the table
price and flagged. A plausible charge above what was reserved is booked as reported (it
is what the invoice will say), both figures are shown, and the sweep reserves later takes
of that backend at the higher price, so a stale price table overspends by at most the
takes already in flight.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from takelab.backends import Backend
    from takelab.journal.store import TakeRecord

log = logging.getLogger(__name__)

ABSURD_FACTOR = 100.0  # a charge above this many times the table price is not believed
FLAG_INVALID = "charge-invalid"  # negative or not a number: booked at the table price
FLAG_ABSURD = "charge-absurd"  # above ABSURD_FACTOR x the table price: booked at table price
FLAG_OVER = "charge-over-reservation"  # plausible, above what was reserved: booked as is


@dataclass(frozen=True)
class Charge:
    """What to book for a take, and why, when it is not simply the provider's figure."""

    usd: float
    flag: str | None = None
    warning: str | None = None


def check_charge(
    reported: float | None, *, table_usd: float, reserved_usd: float, what: str
) -> Charge:
    """The amount to book for `what` (a take) from the provider's `reported` charge."""
    if reported is None:
        return Charge(reserved_usd)
    if not math.isfinite(reported) or reported < 0:
        return Charge(
            table_usd,
            FLAG_INVALID,
            f"{what}: the provider reported a charge of {reported!r}; booked at the table"
            f" price ${table_usd:.2f} instead",
        )
    if table_usd > 0 and reported > ABSURD_FACTOR * table_usd:
        return Charge(
            table_usd,
            FLAG_ABSURD,
            f"{what}: the provider reported a charge of ${reported:.2f}, more than"
            f" {ABSURD_FACTOR:g} times the table price ${table_usd:.2f}; booked at the table"
            " price: check the provider's invoice",
        )
    if reported > reserved_usd + 1e-9:
        return Charge(
            reported,
            FLAG_OVER,
            f"{what}: charged ${reported:.2f}, above the ${reserved_usd:.2f} reserved; later"
            " takes of this backend in the sweep reserve the higher price",
        )
    return Charge(reported)


@dataclass
class PriceBook:
    """The highest charge-to-table ratio seen per backend in one sweep (at least 1)."""

    ratios: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reserve(self, backend: str, table_usd: float) -> float:
        """The price to reserve for a take whose table price is `table_usd`."""
        with self._lock:
            return round(table_usd * self.ratios.get(backend, 1.0), 6)

    def saw(self, backend: str, table_usd: float, charged_usd: float) -> None:
        """Remember a plausible charge above the table price."""
        if table_usd <= 0 or not math.isfinite(charged_usd):
            return
        ratio = charged_usd / table_usd
        with self._lock:
            if ratio > self.ratios.get(backend, 1.0):
                self.ratios[backend] = ratio


def book_charge(
    prices: PriceBook,
    notes: list[str],
    backend: Backend,
    record: TakeRecord,
    reported: float | None,
    *,
    default: float,
) -> Charge:
    """What to book for a take from the provider's `reported` charge (`default` when it
    reports none); a warning is logged and added to `notes`, and a plausible charge above
    the reservation raises the backend's price in `prices`."""
    if reported is None:
        return Charge(default)
    table = backend.price(record.request)
    charge = check_charge(
        reported,
        table_usd=table,
        reserved_usd=record.reserved_usd or default or table,
        what=f"take {record.take_id} ({record.backend}:{record.model})",
    )
    if charge.warning:
        log.warning("%s", charge.warning)
        notes.append(charge.warning)
    if charge.flag == FLAG_OVER:
        prices.saw(record.request.backend_spec, table, charge.usd)
    return charge
