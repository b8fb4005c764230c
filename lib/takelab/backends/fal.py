"""fal: Kling, Pika, Wan, Hunyuan and LTX through fal's queue, with the official `fal-client`.

A job id is `APP|REQUEST_ID`, so a poll knows whose queue to ask. The create call is a
single POST on the SDK's own HTTP client (its auth and headers) through the SDK's
one-shot `_request`: `SyncClient.submit` retries POSTs on timeouts, dropped connections
and 408/409/429 up to ten times, and fal takes no idempotency key, so a retried create
could start a second billed video. Status, result and cancel calls are one request each
too, retried under the one policy (`retrying`).

fal_client fixes its queue URL at import, always https, from FAL_QUEUE_RUN_HOST (default
`queue.fal.run`). TAKELAB_FAL_QUEUE_URL replaces the whole base URL, scheme included (a
gateway, or the tests' fake).

Money: fal bills model endpoints per output and never for server errors (fal's FAQ), and
reports no cost, so a finished job records the table price and a failed one $0. A
content-policy refusal is recorded as `blocked` at $0: the checker runs on the input
before any video is made (fal's FAQ warns a 422 "may" be charged when a runner spent GPU
time; the dashboard is the authority). fal has no API to list past requests, so an
uncertain take cannot be reconciled here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._fal_apps import (
    ENDPOINTS,
    HUNYUAN,
    KLING,
    KLING3_STANDARD,
    LTX,
    PIKA,
    QUEUE_URL_ENV,
    WAN,
    Endpoint,
    multi_prompt,
    queue_url,
    request_url,
)
from takelab.backends._provider import Connection, ProviderBackend
from takelab.backends._retry import status_of, transient_delay
from takelab.errors import BackendError, UsageError

if TYPE_CHECKING:
    import fal_client
    import httpx

__all__ = ["ENDPOINTS", "HUNYUAN", "KLING", "KLING3_STANDARD", "LTX", "PIKA", "WAN", "FalBackend"]

# fal's error `type` for a refused prompt or image, and wording of older apps.
MODERATION_TYPES = {"content_policy_violation"}
MODERATION_WORDS = re.compile(r"content[ _-]?polic|content checker|nsfw|flagged", re.I)


def _data_uri(path: str) -> str:
    """An image as a data URI, which fal accepts wherever it takes an image URL."""
    from fal_client.client import encode_file

    return encode_file(Path(path))


class FalBackend(ProviderBackend):
    """fal's hosted video models through its request queue."""

    name: ClassVar[str] = "fal"
    # Kling 3.0 standard: fal's current Kling (sound, multi-shot, 3-15 s); v2 master is kept
    # for existing projects, with Kling 3.0 named as its replacement in the model table.
    default_model: ClassVar[str] = KLING3_STANDARD
    capability_table: ClassVar[dict[str, Capabilities]] = {
        app: ep.capabilities(app) for app, ep in ENDPOINTS.items()
    }
    price_note: ClassVar[str] = (
        "Kling 3.0 standard $0.084/s ($0.126/s with sound), pro $0.224/s; Kling v2 $1.40 per"
        " 5 s, Pika $0.45 per 5 s, Wan $0.10/s at 720p, Hunyuan $0.40 and LTX $0.02 a clip"
        " (fal's pages, 2026); failed or blocked jobs $0"
    )
    connection = Connection(
        "FAL_KEY", QUEUE_URL_ENV, "https://queue.fal.run", "fal_client", "fal-client"
    )

    def request_problems(self, request: TakeRequest, caps: Capabilities) -> list[str]:
        problems = caps.problems(request)
        if request.image_path and not request.image_sha256:
            problems.append("a first-frame image is not accepted by this model")
        return problems

    def arguments(self, request: TakeRequest) -> dict[str, Any]:
        """The JSON arguments this take sends, or UsageError naming what the app allows."""
        self.check_request(request)
        ep: Endpoint = ENDPOINTS[request.model]
        args: dict[str, Any] = {"prompt": request.prompt}
        sent = next(v for s, v in ep.durations.items() if abs(s - request.duration_s) < 1e-6)
        if sent is not None:
            args[ep.duration_key] = sent
        if ep.multi_prompt and len(request.beats) > 1:
            args.pop("prompt")
            args["multi_prompt"] = multi_prompt(request)
        if ep.audio:
            args["generate_audio"] = request.audio is not False
        if ep.image_key and request.image_path:
            args[ep.image_key] = _data_uri(request.image_path)
        if ep.end_image_key and request.end_image_path:
            args[ep.end_image_key] = _data_uri(request.end_image_path)
        if ep.send_aspect:
            args["aspect_ratio"] = request.aspect
        if ep.send_resolution:
            args["resolution"] = request.resolution
        if ep.seed:
            args["seed"] = request.seed
        if request.negative:
            if not ep.negative:
                raise UsageError(
                    f"{self.spec} takes no negative prompt", hint="remove `negative` for it"
                )
            args["negative_prompt"] = request.negative
        return args

    def _client(self) -> httpx.Client:
        """The SDK's HTTP client (its auth and headers), one per backend instance. Every
        call on it is one request (the SDK's one-shot `_request`): the SDK's own retrying
        handles would repeat a create up to ten times, and reads retry under `retrying`."""
        self.sdk()  # a clear install hint when fal-client is missing
        import fal_client

        sync = self.shared_client(
            lambda: fal_client.SyncClient(key=self.key(), default_timeout=self.timeout_s)
        )
        return sync._client

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        from fal_client.client import _request

        return _request(self._client(), method, url, timeout=self.timeout_s, **kwargs).json()

    def submit(self, request: TakeRequest) -> str:
        # A TakelabError raised here means nothing was sent (the runner books it so).
        arguments = self.arguments(request)
        self.check_ready()
        url = queue_url() + request.model
        reply = self.create_once(lambda: self._call("POST", url, json=arguments), self.model)
        return f"{request.model}|{reply['request_id']}"

    def poll(self, job_id: str) -> JobStatus:
        import fal_client

        base = request_url(job_id)
        status = self.retrying(lambda: self._call("GET", base + "/status"), f"status {job_id}")
        if status.get("status") != "COMPLETED":  # IN_QUEUE, IN_PROGRESS
            state = JobState.QUEUED if status.get("status") == "IN_QUEUE" else JobState.RUNNING
            return JobStatus(state=state, progress=None, cost_usd=None)
        if status.get("error") is not None:
            # Failed: the result URL answers with the error's typed details, if any.
            try:
                self._call("GET", base)
            except fal_client.FalClientHTTPError as exc:
                return _failure(*_details(exc), fallback=status["error"])
            except Exception:  # no details to be had: the status's own text stands
                pass
            return _failure([status.get("error_type") or "failed"], status["error"])
        try:
            result = self.retrying(
                lambda: self._call("GET", base), f"result {job_id}", _result_delay
            )
        except fal_client.FalClientHTTPError as exc:
            return _failure(*_details(exc))
        if video_url(result) is None:
            return JobStatus.ended("no-video", "the finished request has no video in its result")
        return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)

    def fetch(self, job_id: str, dest: Path) -> Path:
        base = request_url(job_id)
        result = self.retrying(lambda: self._call("GET", base), f"result {job_id}")
        url = video_url(result)
        if url is None:
            raise BackendError(self.name, f"job {job_id} has no video in its result")
        return self.download(url, dest)  # fal's media URLs are public: no key sent

    def cancel(self, job_id: str) -> None:
        """Ask fal to cancel a queued request (one already running may still finish)."""
        base = request_url(job_id)
        self.retrying(lambda: self._call("PUT", base + "/cancel"), f"cancel {job_id}")


def video_url(result: Any) -> str | None:
    video = result.get("video") if isinstance(result, dict) else None
    url = video.get("url") if isinstance(video, dict) else None
    return url if isinstance(url, str) and url else None


def _result_delay(exc: BaseException) -> float | None:
    """A result GET answering 500 is the request's own failure: report it, don't retry."""
    return None if status_of(exc) == 500 else transient_delay(exc)


def _details(exc: fal_client.FalClientHTTPError) -> tuple[list[str], str]:
    """Error types and message from fal's body: `detail` is a list of typed errors or text."""
    types = [exc.error_type] if exc.error_type else []
    try:
        detail = exc.response.json().get("detail")
    except Exception:
        detail = None
    if isinstance(detail, list):
        items = [d for d in detail if isinstance(d, dict)]
        types = [str(d["type"]) for d in items if d.get("type")] + types
        message = "; ".join(str(d.get("msg", "")) for d in items if d.get("msg"))
    else:
        message = str(detail) if detail else exc.message
    return types or [f"http-{exc.status_code}"], str(message)[:500]


def _failure(types: list[str], message: str, *, fallback: str | None = None) -> JobStatus:
    message = message or fallback or "the request failed"
    blocked = [t for t in types if t in MODERATION_TYPES]
    moderated = bool(blocked) or bool(MODERATION_WORDS.search(message))
    return JobStatus.ended((blocked or types)[0], message, blocked=moderated, cost_usd=0.0)
