"""A fake of Runway's API as runwayml 5.24 speaks it, on a FakeServer.

POST /v1/text_to_video and /v1/image_to_video take camelCase JSON with
`Authorization: Bearer <key>` and `X-Runway-Version`, and answer `{id, estimatedCost}`.
GET /v1/tasks/{id} moves a task PENDING -> RUNNING -> SUCCEEDED (or FAILED) over
successive polls; DELETE /v1/tasks/{id} cancels it. A finished task's output is a signed
URL on the same server that serves a real MP4 without needing the key. Errors are Runway's
`{"error": "..."}` bodies.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fakes._provider_fake import EXPIRED_XML, ProviderFake
from fakes._server import Request, Response, sample_mp4

API_VERSION = "2024-11-06"
TEXT_TO_VIDEO = "/v1/text_to_video"
IMAGE_TO_VIDEO = "/v1/image_to_video"
VIDEO_TO_VIDEO = "/v1/video_to_video"
TASK = r"/v1/tasks/([0-9a-f-]+)"
OUTPUT = r"/outputs/([0-9a-f-]+)\.mp4"
CREDITS_PER_S = {"gen4.5": 12, "gen4_turbo": 5, "veo3.1": 40, "veo3.1_fast": 15}
# The fake must answer some estimatedCost for it; takelab has no cited price for it.
CREDITS_PER_S["gemini_omni_flash_1.1"] = 1
OMNI_RATIOS = {"1280:720", "720:1280", "1920:1080", "1080:1920", "640:360", "360:640"}
NO_SEED = {"gemini_omni_flash_1.1"}
VEO_RATIOS = {"1280:720", "720:1280", "1080:1920", "1920:1080"}
IMAGE_RATIOS = {"1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"}
# model -> (ratios, durations) per endpoint, as in the SDK's create() overloads.
TEXT_MODELS = {
    "gen4.5": ({"1280:720", "720:1280"}, set(range(2, 11))),
    "veo3.1": (VEO_RATIOS, {4, 6, 8}),
    "veo3.1_fast": (VEO_RATIOS, {4, 6, 8}),
    "gemini_omni_flash_1.1": (OMNI_RATIOS, set(range(3, 11))),
}
# video_to_video: {model, promptText, videoUri, mode reference | extend | edit, duration}.
VIDEO_MODELS = {"gemini_omni_flash_1.1": (OMNI_RATIOS, set(range(3, 11)))}
IMAGE_MODELS = {
    "gen4.5": (IMAGE_RATIOS, set(range(2, 11))),
    "gen4_turbo": (IMAGE_RATIOS, set(range(2, 11))),
    "veo3.1": (VEO_RATIOS, {4, 6, 8}),
    "veo3.1_fast": (VEO_RATIOS, {4, 6, 8}),
}
OUTCOMES = {
    # outcome -> (failure, failureCode, charged)
    "safety": ("The prompt was flagged by content moderation.", "SAFETY.INPUT.TEXT", True),
    "failure": (
        "An unexpected error occurred while generating.",
        "INTERNAL.BAD_OUTPUT.CODE01",
        False,
    ),
}


@dataclass
class Task:
    id: str
    endpoint: str
    body: dict[str, Any]
    outcome: str
    credits: int
    polls: int = 0
    cancelled: bool = False
    created_at: str = "2026-11-24T12:00:00.000Z"


@dataclass
class RunwayFake(ProviderFake):
    """Runway's task API with switches: `outcome` ("success", "safety", "failure") for new
    tasks, `hold` (tasks never finish while set), `polls_to_finish`, `report_cost` (False:
    terminal tasks leave out `cost`, as older API versions did), `expire_outputs` (True:
    output URLs answer 403 as an expired signed URL on Runway's storage does)."""

    polls_to_finish: int = 3
    report_cost: bool = True
    tasks: dict[str, Task] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    ROUTES = (
        ("POST", TEXT_TO_VIDEO, "_create_text"),
        ("POST", IMAGE_TO_VIDEO, "_create_image"),
        ("POST", VIDEO_TO_VIDEO, "_create_video"),
        ("GET", TASK, "_get"),
        ("DELETE", TASK, "_delete"),
        ("GET", OUTPUT, "_output"),
    )
    OUTCOMES = ("success", "failure", "safety")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", TEXT_TO_VIDEO), ("GET", TASK), ("GET", OUTPUT)
    AUTH_MESSAGE: ClassVar[str] = "Invalid API key."

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.tasks

    def error(self, status: int, message: str) -> Any:
        return {"error": message}

    def count(self, method: str, pattern: str) -> int:
        """Requests that reached the route registered for `pattern`."""
        return self.server.count(method, f"^{pattern}$")

    @property
    def creates(self) -> int:
        """Tasks made: create calls that reached the job store (refused ones make none)."""
        return len(self.tasks)

    def reset(self) -> None:
        super().reset()
        self.polls_to_finish, self.report_cost = 3, True

    # -- handlers ------------------------------------------------------------------------

    def _refused(self, req: Request) -> Response | None:
        if denied := self.denied(req):
            return denied
        if req.headers.get("x-runway-version") != API_VERSION:
            return Response(400, {"error": "The X-Runway-Version header is missing or invalid."})
        return None

    def _create_text(self, req: Request) -> Response:
        return self._create(req, TEXT_MODELS)

    def _create_image(self, req: Request) -> Response:
        return self._create(req, IMAGE_MODELS)

    def _create_video(self, req: Request) -> Response:
        return self._create(req, VIDEO_MODELS)

    def _create(self, req: Request, models: dict[str, tuple[set[str], set[int]]]) -> Response:
        refused = self._refused(req)
        if refused:
            return refused
        body = req.json()
        issues = validate(body, models, image="promptImage" in body or models is IMAGE_MODELS)
        if issues:
            return Response(400, {"error": "Validation of body failed", "issues": issues})
        task_id = f"00000000-0000-4000-8000-{next(self._ids):012d}"
        credits = CREDITS_PER_S[body["model"]] * int(body.get("duration", 8))
        endpoint = {id(IMAGE_MODELS): "image_to_video", id(VIDEO_MODELS): "video_to_video"}.get(
            id(models), "text_to_video"
        )
        self.tasks[task_id] = Task(task_id, endpoint, body, self.outcome, credits)
        return Response(200, {"id": task_id, "estimatedCost": {"credits": credits}})

    def _get(self, req: Request) -> Response:
        refused = self._refused(req)
        if refused:
            return refused
        task = self.tasks.get(req.match.group(1))
        if task is None:
            return Response(404, {"error": "Task not found."})
        task.polls += 1
        base = {"id": task.id, "createdAt": task.created_at}
        estimated = {"estimatedCost": {"credits": task.credits}}
        if task.cancelled:
            return Response(200, {**base, "status": "CANCELLED", "cost": {"credits": 0}})
        if task.polls == 1:
            return Response(200, {**base, "status": "PENDING", **estimated})
        if self.hold or task.polls < self.polls_to_finish:
            progress = 0.5 if self.hold else task.polls / self.polls_to_finish
            return Response(200, {**base, "status": "RUNNING", "progress": progress, **estimated})
        if task.outcome == "success":
            signed = f"{self.url}/outputs/{task.id}.mp4?X-Amz-Signature=0f3a"
            return Response(
                200,
                {
                    **base,
                    "status": "SUCCEEDED",
                    "output": [signed],
                    "cost": {"credits": task.credits},
                },
            )
        failure, code, charged = OUTCOMES[task.outcome]
        failed = {**base, "status": "FAILED", "failure": failure, "failureCode": code}
        if self.report_cost:
            failed["cost"] = {"credits": task.credits if charged else 0}
        return Response(200, failed)

    def _delete(self, req: Request) -> Response:
        refused = self._refused(req)
        if refused:
            return refused
        task = self.tasks.get(req.match.group(1))
        if task is None:
            return Response(404, {"error": "Task not found."})
        task.cancelled = True
        return Response(204, b"")

    def _output(self, req: Request) -> Response:
        if self.expire_outputs:
            return Response(403, EXPIRED_XML, {"Content-Type": "application/xml"})
        if req.match.group(1) not in self.tasks or "X-Amz-Signature" not in req.query:
            return Response(403, b"AccessDenied", {"Content-Type": "application/xml"})
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})


def validate(
    body: dict[str, Any], models: dict[str, tuple[set[str], set[int]]], *, image: bool
) -> list[dict[str, Any]]:
    """Runway-style validation issues for a create body (empty when it is valid)."""
    issues: list[dict[str, Any]] = []

    def issue(path: str, message: str) -> None:
        issues.append({"code": "invalid", "path": [path], "message": message})

    model = body.get("model")
    if model not in models:
        issue("model", f"Invalid model {model!r} for this endpoint")
        return issues
    ratios, durations = models[model]
    text = body.get("promptText")
    if not isinstance(text, str) or not 0 < len(text) <= 1000:
        issue("promptText", "Expected a non-empty string of at most 1000 characters")
    if body.get("ratio") not in ratios:
        issue("ratio", f"Invalid ratio for {model}")
    if "duration" in body and body["duration"] not in durations:
        issue("duration", f"Invalid duration for {model}")
    seed = body.get("seed")
    if seed is not None and model in NO_SEED:
        issue("seed", "Unrecognized key")
    if models is VIDEO_MODELS:
        if not str(body.get("videoUri", "")).startswith(("https://", "data:video/")):
            issue("videoUri", "Expected an HTTPS URL or a data URI")
        if body.get("mode", "reference") not in ("reference", "extend", "edit"):
            issue("mode", "Expected reference, extend or edit")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed <= 4294967295):
        issue("seed", "Expected an integer from 0 to 4294967295")
    if "negativePrompt" in body and not model.startswith("veo"):
        issue("negativePrompt", "Unrecognized key")
    if image:
        uri = body.get("promptImage")
        if isinstance(uri, list) and model.startswith("veo3.1"):
            # Keyframes: [{uri, position: first | last}], each position at most once.
            positions = [frame.get("position") for frame in uri if isinstance(frame, dict)]
            if len(positions) != len(uri) or not set(positions) <= {"first", "last"}:
                issue("promptImage", "Expected objects with position first or last")
            elif len(set(positions)) != len(positions):
                issue("promptImage", "Each position may appear once")
            for frame in uri:
                if not str(frame.get("uri", "")).startswith(("https://", "data:image/")):
                    issue("promptImage", "Expected an HTTPS URL or a data URI")
        elif not isinstance(uri, str) or not uri.startswith(("https://", "data:image/")):
            issue("promptImage", "Expected an HTTPS URL or a data URI")
    unknown = set(body) - {
        "model",
        "promptText",
        "ratio",
        "duration",
        "seed",
        "negativePrompt",
        "promptImage",
        "audio",
        *(("videoUri", "mode") if models is VIDEO_MODELS else ()),
    }
    for key in sorted(unknown):
        issue(key, "Unrecognized key")
    return issues
