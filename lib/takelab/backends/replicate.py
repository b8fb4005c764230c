"""Replicate: official video models (Kling v2.1 Master) through the `replicate` SDK.

The create call is `client.models.predictions.create(model="owner/name", input=...)`, one
POST to `/v1/models/{owner}/{name}/predictions` (what `predictions.create(model=...)`
delegates to, minus its dropping of `file_encoding_strategy`); a first-frame image goes
inline as a data URI, so no upload call precedes the create, which is sent exactly once;
`create_once` classifies its failure. The SDK's own RetryTransport (GETs on 429/503/504)
is set to one attempt: polls, lists and downloads retry under `retrying`, the one policy.
The SDK reads REPLICATE_BASE_URL itself (a gateway, or the tests' fake).

Money: Replicate bills these official models by output (per second of video), so a
succeeded prediction records the table price and a failed or canceled one $0 (Replicate
reports no cost in the API; compute-time billing applies only to community models, which
this backend does not list). A prediction refused by moderation ("flagged as sensitive",
E005, NSFW) is `blocked`, also at $0.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import Connection, ProviderBackend
from takelab.backends._retry import RETRYABLE
from takelab.backends.models import with_features
from takelab.errors import BackendError, OutputGoneError

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.prediction import Prediction

KLING_MASTER = "kwaivgi/kling-v2.1-master"

# Kling v2.1 Master on Replicate: prompt, negative_prompt, duration (5 or 10, an integer),
# aspect_ratio (ignored by the model when start_image is given), start_image; 1080p, no seed.
CAPABILITIES: dict[str, Capabilities] = {
    KLING_MASTER: Capabilities(
        durations=(5.0, 10.0),
        min_duration_s=5.0,
        max_duration_s=10.0,
        aspects=("16:9", "9:16", "1:1"),
        resolutions=("1080p",),
        seed=False,
        image_input=True,
    ),
}
# What each model does beyond sizes (audio, references...) comes from the model table.
CAPABILITIES = {m: with_features("replicate", m, c) for m, c in CAPABILITIES.items()}

STATES = {
    "starting": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.FAILED,
}
MODERATION = re.compile(r"flagged as sensitive|\bE005\b|nsfw|content moderation|safety", re.I)


class ReplicateBackend(ProviderBackend):
    """Official video models on Replicate, one prediction per take."""

    lists_jobs: ClassVar[bool] = True
    name: ClassVar[str] = "replicate"
    default_model: ClassVar[str] = KLING_MASTER
    capability_table: ClassVar[dict[str, Capabilities]] = CAPABILITIES
    price_note: ClassVar[str] = (
        "Kling v2.1 Master $0.28 per second of video (3rd-party, 2026);"
        " failed or blocked predictions $0"
    )
    connection = Connection(
        "REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "https://api.replicate.com", "replicate"
    )
    reconcile_pages: ClassVar[int] = 5

    def model_input(self, request: TakeRequest) -> dict[str, Any]:
        """The prediction's `input`, or UsageError naming what the model allows."""
        self.check_request(request)
        data: dict[str, Any] = {
            "prompt": request.prompt,
            "duration": int(request.duration_s),
            "aspect_ratio": request.aspect,
        }
        if request.negative:
            data["negative_prompt"] = request.negative
        if request.image_path:
            # A Path is sent as a data URI (file_encoding_strategy="base64"): no upload call.
            data["start_image"] = Path(request.image_path)
        return data

    def _client(self) -> Client:
        self.sdk()  # a clear install hint when replicate is missing
        import httpx
        from replicate.client import Client

        def transient(response: httpx.Response) -> None:
            # A read answered 408/429/5xx raises here, with its headers (Retry-After), for
            # `retrying`: the SDK's own error would drop them.
            if response.request.method == "GET" and response.status_code in RETRYABLE:
                response.read()
                response.raise_for_status()

        def make() -> Client:
            client = Client(
                api_token=self.key(),
                base_url=self.api_url(),
                timeout=httpx.Timeout(self.timeout_s, connect=10.0),
                event_hooks={"response": [transient]},
            )
            # One retry policy: the SDK wraps its transport in a RetryTransport (GETs on
            # 429/503/504, its own backoff); one attempt there, and reads retry in `retrying`.
            transport = getattr(client._client, "_transport", None)
            if hasattr(transport, "max_attempts"):
                transport.max_attempts = 1  # type: ignore[union-attr]
            return client

        # One client per backend instance: its connections are pooled across the sweep.
        return self.shared_client(make)

    def submit(self, request: TakeRequest) -> str:
        # A TakelabError raised here means nothing was sent (the runner books it so).
        model_input = self.model_input(request)
        self.check_ready()
        client = self._client()
        prediction = self.create_once(
            # The model namespace's create: `predictions.create(model=...)` drops
            # file_encoding_strategy (SDK 1.0.7) and would upload the image first.
            lambda: client.models.predictions.create(
                model=request.model, input=model_input, file_encoding_strategy="base64"
            ),
            request.model,
        )
        return str(prediction.id)

    def _get(self, job_id: str) -> Prediction:
        client = self._client()
        prediction: Prediction = self.retrying(
            lambda: client.predictions.get(job_id), f"prediction {job_id}"
        )
        return prediction

    def poll(self, job_id: str) -> JobStatus:
        p = self._get(job_id)
        state = STATES.get(p.status, JobState.RUNNING)
        if state is JobState.SUCCEEDED and output_url(p.output) is None and not data_removed(p):
            return JobStatus.ended("no-video", "the prediction succeeded without a video URL")
        if state is not JobState.FAILED:
            progress = p.progress.percentage if state is JobState.RUNNING and p.progress else None
            if state is JobState.SUCCEEDED:
                progress = 1.0
            return JobStatus(state=state, progress=progress, cost_usd=None)
        message = (p.error or p.status)[:500]
        blocked = p.status == "failed" and bool(MODERATION.search(message))
        code = "moderation" if blocked else p.status
        return JobStatus.ended(code, message, blocked=blocked, cost_usd=0.0)

    def fetch(self, job_id: str, dest: Path) -> Path:
        p = self._get(job_id)
        url = output_url(p.output)
        if url is None and data_removed(p):
            raise OutputGoneError(
                self.name,
                job_id,
                "Replicate removed the prediction's output (an API prediction's data is"
                " deleted an hour after it finishes)",
            )
        if url is None:
            raise BackendError(self.name, f"prediction {job_id} has no video URL")
        return self.download(url, dest)  # replicate.delivery URLs are public: no key sent

    def cancel(self, job_id: str) -> None:
        """Cancel a prediction that has not finished."""
        client = self._client()
        self.retrying(lambda: client.predictions.cancel(job_id), f"cancel {job_id}")

    def find_jobs(self, request: TakeRequest, *, since: float | None = None) -> list[str]:
        """Predictions of this model with this prompt, created at or after `since` (Unix
        seconds, less a minute of clock skew), newest first."""
        found: list[str] = []
        client = self._client()
        page = self.retrying(client.predictions.list, "list")
        for _ in range(self.reconcile_pages):
            for p in page.results:  # newest first
                created = _timestamp(p.created_at)
                if since is not None and created is not None and created < since - 60:
                    return found
                if p.model == request.model and (p.input or {}).get("prompt") == request.prompt:
                    found.append(str(p.id))
            if not page.next:
                return found
            page = self.retrying(functools.partial(client.predictions.list, page.next), "list")
        return found


def output_url(output: Any) -> str | None:
    """The video URL of a prediction's output: a URL, or a list whose first item is one."""
    if isinstance(output, list) and output:
        output = output[0]
    return output if isinstance(output, str) and output.startswith("http") else None


def data_removed(p: Prediction) -> bool:
    """Whether Replicate has removed a finished prediction's data: an hour after an API
    prediction finishes its input, output, files and logs are deleted (`data_removed`, which
    the SDK does not keep). A prediction always has an input until then, so an empty one
    with no output means the data is gone; the video was still made and billed."""
    return p.status == "succeeded" and not p.input and p.output is None


def _timestamp(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
