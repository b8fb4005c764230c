"""Every provider price in one table, with its source and date, so it is updated in one place.

Prices are worst case: where a provider charges a range (Runway's veo3.1 credits) the top
of the range is used, so a budget reservation is never too small. (3rd) marks prices taken
from third-party pages rather than the provider's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from takelab.errors import BackendError


@dataclass(frozen=True)
class Price:
    backend: str
    model: str
    usd_per_second: float | None = None  # per second of output
    usd_per_second_audio: float | None = None  # per second when sound is generated
    usd_per_clip: float | None = None  # flat per generated clip
    clip_seconds: float | None = None  # the clip length usd_per_clip refers to (scaled)
    by_resolution: dict[str, float] = field(default_factory=dict)  # multiplies the base
    source: str = ""
    date: str = ""

    def per_second(self, *, audio: bool) -> float | None:
        """USD per second at the base resolution, with or without sound (None: per clip)."""
        if audio and self.usd_per_second_audio is not None:
            return self.usd_per_second_audio
        return self.usd_per_second

    def usd(self, duration_s: float, resolution: str, audio: bool = False) -> float:
        factor = self.by_resolution.get(resolution, max(self.by_resolution.values(), default=1.0))
        rate = self.per_second(audio=audio)
        if rate is not None:
            base = rate * duration_s
        elif self.usd_per_clip is not None and self.clip_seconds:
            # Charged per clip length step: round up to whole clips of that length.
            steps = max(1, -(-duration_s // self.clip_seconds))
            base = self.usd_per_clip * steps
        elif self.usd_per_clip is not None:
            base = self.usd_per_clip
        else:
            base = 0.0
        return round(base * factor, 4)


RUNWAY = "Runway API reference, April 2026 (credits at $0.01)"
OPENAI = "(3rd) last published Sora 2 API prices, 2026"
VEO = "(3rd) Gemini API video pricing pages, 2026"
VEO_CUT = VEO + "; reported cut to $0.12/s in April 2026 (the higher kept: worst case)"
LUMA = "(3rd) Luma Dream Machine API pricing, October 2025"
FAL = "fal.ai model pages, 2026"
LUMA3 = (
    "(3rd) fal.ai luma/agent/ray/v3.2 video-to-video page (SDR per 5 s: $0.72 540p,"
    " $1.08 720p, $2.16 1080p; used as the worst case for generation too); docs.gmicloud.ai"
    " luma-ray-3-2-generate (a 10 s video bills as two 5 s blocks)"
)
# Luma: per 5 s clip by resolution, as multiples of 720p's $0.71 (9 s clips cost 9/5 of it).
LUMA_RES = {"540p": 0.40 / 0.71, "720p": 1.0, "1080p": 1.59 / 0.71, "4k": 4 * 1.59 / 0.71}


def _per_second(
    backend: str,
    date: str,
    rows: dict[str, tuple[float, str]],
    by_resolution: dict[str, float] | None = None,
) -> tuple[Price, ...]:
    """Rows of one backend charged per second: model -> (USD per second, source)."""
    return tuple(
        Price(backend, model, usd, by_resolution=by_resolution or {}, source=src, date=date)
        for model, (usd, src) in rows.items()
    )


PRICES: tuple[Price, ...] = (
    Price("previz", "animatic", usd_per_second=0.0, source="built in, offline", date="2026"),
    # Runway: credits per second x $0.01; a range is priced at its top.
    *_per_second(
        "runway",
        "2026-04",
        {
            "gen4.5": (0.12, RUNWAY),
            "gen4_turbo": (0.05, RUNWAY),
            "veo3.1": (0.40, RUNWAY + "; 20-40 credits/s"),
            "veo3.1_fast": (0.15, RUNWAY + "; 10-15 credits/s"),
            "veo3": (0.40, RUNWAY + "; not offered by runwayml 5.24's create calls"),
        },
    ),
    # Google Veo (Agent Platform); sound is included in the price. Retired ids keep their
    # last price for the record; they are refused before a call.
    *_per_second(
        "veo",
        "2026",
        {
            "veo-3.1-generate-001": (0.40, VEO),
            "veo-3.1-fast-generate-001": (0.15, VEO_CUT),
            "veo-3.1-generate-preview": (0.40, VEO),
            "veo-3.1-lite-generate-preview": (0.15, VEO),
            "veo-3.1-fast-generate-preview": (0.15, VEO_CUT),
            "veo-3.0-generate-001": (0.40, VEO),
            "veo-3.0-fast-generate-001": (0.15, VEO),
            "veo-2.0-generate-001": (0.35, VEO),
        },
    ),
    *_per_second(
        "luma",
        "2025-10",
        {
            "ray-2": (0.71 / 5, LUMA),
            "ray-flash-2": (0.71 / 5, LUMA + "; no flash price seen, ray-2's used (worst case)"),
        },
        by_resolution=LUMA_RES,
    ),
    # Luma Ray 3.2 (Agents API): per 5 s block by resolution; a 10 s video is two blocks
    # (gmicloud's Ray 3.2 page). Luma's own pricing page's video table was not readable
    # here, so the highest third-party SDR list seen is used (wavespeed lists $0.50 for its
    # default text-to-video run: lower, so not the worst case).
    Price(
        "luma-agents",
        "ray-3.2",
        usd_per_clip=1.08,
        clip_seconds=5,
        by_resolution={"540p": 0.72 / 1.08, "720p": 1.0, "1080p": 2.16 / 1.08},
        source=LUMA3,
        date="2026-12-07",
    ),
    # fal endpoints. Kling 3.0 charges more per second when it makes sound.
    *(
        Price(
            "fal",
            f"fal-ai/kling-video/v3/{tier}/{kind}",
            usd_per_second=silent,
            usd_per_second_audio=sound,
            source=FAL + f"; ${voice}/s with voice control (not used)",
            date="2026-12",
        )
        for tier, silent, sound, voice in (
            ("standard", 0.084, 0.126, 0.154),
            ("pro", 0.224, 0.336, 0.392),
        )
        for kind in ("text-to-video", "image-to-video")
    ),
    Price(
        "fal",
        "fal-ai/kling-video/v2/master/text-to-video",
        usd_per_clip=1.40,
        clip_seconds=5,
        source=FAL,
        date="2026",
    ),
    Price(
        "fal",
        "fal-ai/pika/v2.5/text-to-video",
        usd_per_clip=0.45,
        clip_seconds=5,
        source=FAL + " (1080p worst case)",
        date="2026",
    ),
    Price(
        "fal",
        "fal-ai/wan/v2.7/text-to-video",
        usd_per_second=0.10,
        by_resolution={"480p": 0.5, "720p": 1.0, "1080p": 1.5},
        source=FAL,
        date="2026",
    ),
    Price("fal", "fal-ai/hunyuan-video", usd_per_clip=0.40, source=FAL, date="2026"),
    Price("fal", "fal-ai/ltx-video", usd_per_clip=0.02, source=FAL, date="2026"),
    Price(
        "replicate",
        "kwaivgi/kling-v2.1-master",
        usd_per_second=0.28,
        source="(3rd) Replicate model page, 2026",
        date="2026",
    ),
    # OpenAI Videos API: shut down 2026-09-24; kept for compatible gateways.
    Price("openai-videos", "sora-2", usd_per_second=0.10, source=OPENAI, date="2026"),
    Price(
        "openai-videos",
        "sora-2-pro",
        usd_per_second=0.30,
        by_resolution={"720p": 1.0, "1080p": 0.50 / 0.30},
        source=OPENAI + "; $0.50/s at 1024x1792",
        date="2026",
    ),
)


# Models a backend can call whose price could not be cited: refused, never guessed.
UNPRICED: dict[tuple[str, str], str] = {
    ("runway", "gemini_omni_flash_1.1"): (
        "Runway bills it in credits per second, but no figure for it could be cited"
        " (Runway's API reference as read for this table lists Gen-4 and Veo credits only;"
        " checked 2026-12-07)"
    ),
}


def find_price(backend: str, model: str) -> Price | None:
    for p in PRICES:
        if p.backend == backend and p.model == model:
            return p
    return None


def price_usd(
    backend: str, model: str, duration_s: float, resolution: str, audio: bool = False
) -> float:
    """Worst-case USD for one take; a model with no known price is refused, not guessed."""
    p = find_price(backend, model)
    why = UNPRICED.get((backend, model))
    if p is None and why:
        raise BackendError(
            backend,
            f"{backend}:{model} cannot be estimated: {why}",
            hint="add its price with a source to takelab/backends/prices.py, or pick a"
            " priced model (`takelab backends`)",
        )
    if p is None:
        raise BackendError(
            backend,
            f"no price is known for model {model!r}",
            hint="add it to takelab/backends/prices.py with its source, or pick a listed model",
        )
    return p.usd(duration_s, resolution, audio)
