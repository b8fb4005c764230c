"""How a Veo operation on Vertex AI reads as a JobStatus: running until `done`, then an
`error` (a google.rpc code; safety wording reads as blocked), a video, or videos withheld
by Google's responsible-AI filters (blocked). Google charges only for videos it returns.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from takelab.backends._base import JobState, JobStatus

if TYPE_CHECKING:
    from google.genai.types import GenerateVideosOperation, Video

# google.rpc.Code names, for error codes a reader recognises.
_RPC_CODES = {
    1: "CANCELLED",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    13: "INTERNAL",
    14: "UNAVAILABLE",
}
# How Google words a refusal on safety grounds when it fails the whole operation.
_SAFETY_WORDS = re.compile(r"responsible ai|usage guidelines|sensitive words|safety", re.I)


def first_video(operation: GenerateVideosOperation) -> Video | None:
    response = operation.response or operation.result
    for generated in (response.generated_videos if response else None) or []:
        if generated.video is not None:
            return generated.video
    return None


def _ended(state: JobState, code: str, message: str) -> JobStatus:
    # Google charges only for videos it returns.
    return JobStatus(
        state=state, progress=None, error_code=code, error_message=message, cost_usd=0.0
    )


def job_status(operation: GenerateVideosOperation) -> JobStatus:
    """Map a Veo operation onto a JobStatus; filtered or failed videos cost nothing."""
    if not operation.done:
        return JobStatus(state=JobState.RUNNING, progress=None, cost_usd=None)
    if operation.error:
        code = operation.error.get("code")
        message = str(operation.error.get("message") or "the operation failed")
        name = _RPC_CODES.get(code, str(code)) if isinstance(code, int) else "error"
        state = JobState.BLOCKED if _SAFETY_WORDS.search(message) else JobState.FAILED
        return _ended(state, name, message)
    if first_video(operation) is not None:
        # The price is the table's: Google reports no cost.
        return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)
    response = operation.response or operation.result
    if response is not None and response.rai_media_filtered_count:
        reasons = "; ".join(response.rai_media_filtered_reasons or [])
        return _ended(
            JobState.BLOCKED,
            "rai-media-filtered",
            reasons or "the video was withheld by Google's safety filters",
        )
    return _ended(JobState.FAILED, "no-video", "the operation finished without a video")
