"""fal: Kling, Pika, Wan, Hunyuan and LTX through fal's queue, with the official `fal-client`.

A job id is `APP|REQUEST_ID`, so a poll knows whose queue to ask. The create call is a
single POST on the SDK's own HTTP client (its auth and headers) through the SDK's
one-shot `_request`: `SyncClient.submit` retries POSTs on timeouts, dropped connections
and 408/409/429 up to ten times, and fal takes no idempotency key, so a retried create
could start a second billed video. Status and result GETs use the SDK's request handle
(which retries them itself) inside `with_retries`.

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from takelab.backends._base import Capabilities, JobState, JobStatus, TakeRequest
from takelab.backends._provider import (
    ProviderBackend,
    download,
    status_of,
    submit_once,
    transient_delay,
    with_retries,
)
from takelab.errors import BackendError, UsageError
from takelab.secrets import endpoint_url

if TYPE_CHECKING:
    import fal_client

QUEUE_URL_ENV = "TAKELAB_FAL_QUEUE_URL"
KLING = "fal-ai/kling-video/v2/master/text-to-video"
PIKA = "fal-ai/pika/v2.5/text-to-video"
WAN = "fal-ai/wan/v2.7/text-to-video"
HUNYUAN = "fal-ai/hunyuan-video"
LTX = "fal-ai/ltx-video"
KLING3 = "fal-ai/kling-video/v3/{tier}/{kind}"
KLING3_STANDARD = KLING3.format(tier="standard", kind="text-to-video")

# fal's error `type` for a refused prompt or image, and wording of older apps.
MODERATION_TYPES = {"content_policy_violation"}
MODERATION_WORDS = re.compile(r"content[ _-]?polic|content checker|nsfw|flagged", re.I)


@dataclass(frozen=True)
class Endpoint:
    """What one fal app accepts, and how a take's settings are written for it."""

    durations: Mapping[float, str | int | None]  # allowed seconds -> value sent (None: not sent)
    aspects: tuple[str, ...]
    resolutions: tuple[str, ...]
    duration_key: str = "duration"
    send_aspect: bool = True
    send_resolution: bool = True
    seed: bool = True
    negative: bool = True
    audio: bool = False  # sends generate_audio
    multi_prompt: bool = False  # beats go as multi_prompt shots instead of one prompt
    image_key: str | None = None  # first frame (a data URI); required when set
    end_image_key: str | None = None  # last frame (a data URI)

    def capabilities(self, model: str) -> Capabilities:
        from takelab.backends.models import with_features

        seconds = tuple(sorted(self.durations))
        return with_features("fal", model, self._sizes(seconds))

    def _sizes(self, seconds: tuple[float, ...]) -> Capabilities:
        return Capabilities(
            durations=seconds,
            min_duration_s=seconds[0],
            max_duration_s=seconds[-1],
            aspects=self.aspects,
            resolutions=self.resolutions,
            seed=self.seed,
            image_input=self.image_key is not None,
            image_required=self.image_key is not None,
        )


# Argument names and values from each app's schema on fal.ai/models/<app> (2026), limited
# to the aspects and resolutions a project file can name (shots.ASPECTS, RESOLUTIONS). Wan
# v2.7 and LTX could not be checked against a live schema: Wan takes the common names
# (duration 2-15 s, aspect_ratio, resolution, seed, negative_prompt); LTX makes one clip of
# fixed length and size (about 5 s at 480p-class size; fal's samples are 768x512, nearer
# 3:2 than the 16:9 declared) and only prompt, seed and negative_prompt are sent.
ENDPOINTS: dict[str, Endpoint] = {
    KLING: Endpoint(
        {5.0: "5", 10.0: "10"},
        ("16:9", "9:16", "1:1"),
        ("720p",),
        send_resolution=False,
        seed=False,
    ),
    PIKA: Endpoint(
        {5.0: 5, 10.0: 10},
        ("16:9",),  # the v2.5 text-to-video schema has no aspect_ratio
        ("480p", "720p", "1080p"),
        send_aspect=False,
    ),
    WAN: Endpoint(
        {float(s): s for s in range(2, 16)},
        ("16:9", "9:16", "1:1", "4:3", "3:4"),
        ("720p", "1080p"),
    ),
    # Hunyuan takes a frame count: 129 frames is its ~5 s clip (5.4 s at 24 fps).
    HUNYUAN: Endpoint(
        {5.0: "129"},
        ("16:9", "9:16"),
        ("480p", "720p"),  # fal also has 580p, which projects cannot name
        duration_key="num_frames",
        negative=False,
    ),
    LTX: Endpoint({5.0: None}, ("16:9",), ("480p",), send_aspect=False, send_resolution=False),
    # Kling 3.0 (fal's v3 schema): 3-15 s as text, prompt or multi_prompt (not both),
    # generate_audio, negative_prompt; image-to-video takes start_image_url and an optional
    # end_image_url and no aspect ratio (the image sets it). Standard renders 720p, pro
    # 1080p; neither takes a seed or a resolution parameter.
    **{
        KLING3.format(tier=tier, kind=kind): Endpoint(
            {float(s): str(s) for s in range(3, 16)},
            ("16:9", "9:16", "1:1"),
            (resolution,),
            send_aspect=kind == "text-to-video",
            send_resolution=False,
            seed=False,
            audio=True,
            multi_prompt=True,
            image_key="start_image_url" if kind == "image-to-video" else None,
            end_image_key="end_image_url" if kind == "image-to-video" else None,
        )
        for tier, resolution in (("standard", "720p"), ("pro", "1080p"))
        for kind in ("text-to-video", "image-to-video")
    },
}


def multi_prompt(request: TakeRequest) -> list[dict[str, str]]:
    """Kling 3.0's multi-shot: one shot per beat, each as long as until the next beat (the
    last to the clip's end), whole seconds of at least 1 that add up to the clip; each
    shot's prompt is the variant's prompt with that beat leading."""
    beats = sorted(request.beats)
    total = round(request.duration_s)
    starts = [min(max(0, round(at)), total - 1) for at, _ in beats]
    shots = []
    for i, (_, text) in enumerate(beats):
        end = starts[i + 1] if i + 1 < len(beats) else total
        seconds = max(1, end - starts[i])
        shots.append({"prompt": f"{text}. {request.prompt}", "duration": str(seconds)})
    # Rounding can leave the shots a second off the clip; the last one takes up the slack.
    slack = total - sum(int(s["duration"]) for s in shots)
    shots[-1]["duration"] = str(max(1, int(shots[-1]["duration"]) + slack))
    return shots


def _data_uri(path: str) -> str:
    """An image as a data URI, which fal accepts wherever it takes an image URL."""
    from fal_client.client import encode_file

    return encode_file(Path(path))


def queue_url() -> str:
    """Base URL of fal's queue: TAKELAB_FAL_QUEUE_URL, else the SDK's (FAL_QUEUE_RUN_HOST)."""
    from fal_client.client import QUEUE_URL_FORMAT

    return (endpoint_url(QUEUE_URL_ENV) or QUEUE_URL_FORMAT).rstrip("/") + "/"


def split_job_id(job_id: str) -> tuple[str, str]:
    app, sep, request_id = job_id.rpartition("|")
    if not sep or not app or not request_id:
        raise BackendError("fal", f"malformed job id {job_id!r} (expected APP|REQUEST_ID)")
    return app, request_id


class FalBackend(ProviderBackend):
    """fal's hosted video models through its request queue."""

    name: ClassVar[str] = "fal"
    # Kling 3.0 standard: fal's current Kling (sound, multi-shot, 3-15 s); v2 master is kept
    # for existing projects, with Kling 3.0 named as its replacement in the model table.
    default_model: ClassVar[str] = KLING3_STANDARD
    models: ClassVar[tuple[str, ...]] = tuple(ENDPOINTS)
    price_note: ClassVar[str] = (
        "Kling 3.0 standard $0.084/s ($0.126/s with sound), pro $0.224/s; Kling v2 $1.40 per"
        " 5 s, Pika $0.45 per 5 s, Wan $0.10/s at 720p, Hunyuan $0.40 and LTX $0.02 a clip"
        " (fal's pages, 2026); failed or blocked jobs $0"
    )
    key_env: ClassVar[str] = "FAL_KEY"
    base_url_env: ClassVar[str | None] = QUEUE_URL_ENV
    default_url: ClassVar[str] = "https://queue.fal.run"
    sdk_module: ClassVar[str] = "fal_client"
    sdk_package: ClassVar[str] = "fal-client"
    poll_interval_s: ClassVar[float] = 5.0
    timeout_s: ClassVar[float] = 60.0

    def endpoint(self) -> Endpoint:
        if self.model not in ENDPOINTS:
            raise UsageError(
                f"unknown fal model {self.model!r}", hint=f"choose one of: {', '.join(ENDPOINTS)}"
            )
        return ENDPOINTS[self.model]

    def capabilities(self) -> Capabilities:
        return self.endpoint().capabilities(self.model)

    def _check(self, request: TakeRequest) -> None:
        problems = self.capabilities().problems(request)
        if request.image_path and not request.image_sha256:
            problems.append("a first-frame image is not accepted by this model")
        if problems:
            raise UsageError(f"{self.spec}: " + "; ".join(problems))

    def price(self, request: TakeRequest) -> float:
        self._check(request)
        return super().price(request)

    def arguments(self, request: TakeRequest) -> dict[str, Any]:
        """The JSON arguments this take sends, or UsageError naming what the app allows."""
        self._check(request)
        ep = self.endpoint()
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

    @contextmanager
    def _session(self) -> Iterator[fal_client.SyncClient]:
        self.sdk()  # a clear install hint when fal-client is missing
        import fal_client

        # One client per backend instance: its httpx client (made on first use) pools the
        # connections of every call in the sweep.
        yield self.shared_client(
            lambda: fal_client.SyncClient(key=self.key(), default_timeout=self.timeout_s)
        )

    @staticmethod
    def _handle(client: fal_client.SyncClient, job_id: str) -> fal_client.SyncRequestHandle:
        """The SDK's handle on a queued request, built on our queue URL."""
        import fal_client
        from fal_client.client import AppId

        app, request_id = split_job_id(job_id)
        app_id = AppId.from_endpoint_id(app)
        prefix = f"{app_id.namespace}/" if app_id.namespace else ""
        base = f"{queue_url()}{prefix}{app_id.owner}/{app_id.alias}/requests/{request_id}"
        return fal_client.SyncRequestHandle(
            request_id=request_id,
            response_url=base,
            status_url=base + "/status",
            cancel_url=base + "/cancel",
            client=client._client,
        )

    def submit(self, request: TakeRequest) -> str:
        # A TakelabError raised here means nothing was sent (the runner books it so).
        arguments = self.arguments(request)
        self.check_ready()
        from fal_client.client import _request

        url = queue_url() + request.model
        with self._session() as client:

            def create() -> str:
                response = _request(
                    client._client, "POST", url, json=arguments, timeout=self.timeout_s
                )
                return str(response.json()["request_id"])

            request_id = submit_once(self.name, create, model=self.model)
        return f"{request.model}|{request_id}"

    def poll(self, job_id: str) -> JobStatus:
        import fal_client

        with self._session() as client:
            handle = self._handle(client, job_id)
            status = with_retries(handle.status, what=f"fal status {handle.request_id}")
            if isinstance(status, fal_client.Queued):
                return JobStatus(state=JobState.QUEUED, progress=None, cost_usd=None)
            if isinstance(status, fal_client.InProgress):
                return JobStatus(state=JobState.RUNNING, progress=None, cost_usd=None)
            assert isinstance(status, fal_client.Completed)
            if status.error is not None:
                # Failed: the result URL answers with the error's typed details, if any.
                try:
                    handle.get()
                except fal_client.FalClientHTTPError as exc:
                    return _failure(*_details(exc), fallback=status.error)
                except Exception:  # no details to be had: the status's own text stands
                    pass
                return _failure([status.error_type or "failed"], status.error)
            try:
                result = with_retries(
                    handle.get, what=f"fal result {handle.request_id}", delay_of=_result_delay
                )
            except fal_client.FalClientHTTPError as exc:
                return _failure(*_details(exc))
        if video_url(result) is None:
            return JobStatus(
                state=JobState.FAILED,
                error_code="no-video",
                error_message="the finished request has no video in its result",
                progress=None,
                cost_usd=None,
            )
        return JobStatus(state=JobState.SUCCEEDED, progress=1.0, cost_usd=None)

    def fetch(self, job_id: str, dest: Path) -> Path:
        with self._session() as client:
            handle = self._handle(client, job_id)
            result = with_retries(handle.get, what=f"fal result {handle.request_id}")
        url = video_url(result)
        if url is None:
            raise BackendError(self.name, f"job {job_id} has no video in its result")
        # Fal's media URLs are public: no key sent.
        return download(url, dest, origin=self.api_url(), backend=self.name)

    def cancel(self, job_id: str) -> None:
        """Ask fal to cancel a queued request (one already running may still finish)."""
        with self._session() as client:
            handle = self._handle(client, job_id)
            with_retries(handle.cancel, what=f"fal cancel {handle.request_id}")


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
    if blocked or MODERATION_WORDS.search(message):
        return JobStatus(
            state=JobState.BLOCKED,
            error_code=(blocked or types)[0],
            error_message=message,
            progress=None,
            cost_usd=0.0,
        )
    return JobStatus(
        state=JobState.FAILED,
        error_code=types[0],
        error_message=message,
        progress=None,
        cost_usd=0.0,
    )
