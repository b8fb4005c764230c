"""What a local take costs: its measured GPU seconds at an hourly rate."""

from __future__ import annotations

from takelab.settings import settings

# Local models (`diffusers:*`) send no bill, but the machine's time is money: a take is
# charged its measured generation seconds at an hourly rate, and reserved at the most
# seconds a take may run, so the reservation always covers the charge.
GPU_USD_PER_HOUR_ENV = "TAKELAB_GPU_USD_PER_HOUR"
GPU_USD_PER_HOUR = 2.50
GPU_SOURCE = (
    "(3rd) a round figure for one on-demand H100 from a GPU cloud, 2025-26 ($2-3/h); "
    "set TAKELAB_GPU_USD_PER_HOUR to your own (0 for a machine you own)"
)
LOCAL_MAX_S_ENV = "TAKELAB_DIFFUSERS_MAX_S"
LOCAL_MAX_S = 600.0  # a take still generating after this is stopped (and not charged more)


def gpu_usd_per_hour() -> float:
    """The hourly rate local takes are charged at (TAKELAB_GPU_USD_PER_HOUR, else $2.50)."""
    return settings().gpu_usd_per_hour


def local_max_seconds() -> float:
    """The most seconds one local take may generate (TAKELAB_DIFFUSERS_MAX_S, else 600)."""
    return settings().diffusers_max_s
