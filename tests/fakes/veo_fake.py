"""A fake of Veo on Vertex AI, speaking exactly what google-genai 3.6 sends in express mode.

- POST /v1beta1/publishers/google/models/{model}:predictLongRunning
  {"instances": [{"prompt", "image": {"bytesBase64Encoded", "mimeType"}}],
   "parameters": {"sampleCount", "durationSeconds", "aspectRatio", "resolution", "seed",
                  "negativePrompt", "generateAudio"}}  ->  {"name": ".../operations/{id}"}
- POST /v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}
  :fetchPredictOperation  {"operationName"}  ->  the operation: no `done` while running,
  then `error` {code, message}, or `response` {"videos": [{"bytesBase64Encoded",
  "mimeType"}], "raiMediaFilteredCount", "raiMediaFilteredReasons"}.

The key is checked in `x-goog-api-key`; errors use Google's `{"error": {code, message,
status}}` shape.

Vertex returns the video inline, which cannot expire. With `expire_outputs` set, finished
operations instead give the video as a URL (`gcsUri` holding an https URL, which the SDK
reads into `Video.uri`), and GET /files/{id}.mp4 answers 404 NOT_FOUND, as Google's file
storage does once a generated file has been deleted.
"""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fakes._provider_fake import ProviderFake
from fakes._server import Request, Response, sample_mp4

CREATE = r"/v1beta1/publishers/google/models/(?P<model>[^/:]+):predictLongRunning"
FETCH = (
    r"/v1beta1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+):fetchPredictOperation"
)
FILTERED_REASON = (
    "Unable to generate videos because the prompt may violate our usage guidelines."
    " Support codes: 58061214"
)
FAILED_MESSAGE = "Internal error encountered."
FILE = r"/files/(?P<id>[0-9a-f-]+)\.mp4"
DURATIONS = {"veo-2.0-generate-001": {5, 6, 7, 8}}
# Ids Google shut down: a create answers 404 "... is no longer available".
RETIRED = {
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.1-lite-generate-preview",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
}
MAX_REFERENCES = 3


def google_error(status: int, message: str, reason: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": reason}}


@dataclass
class Operation:
    name: str
    model: str
    body: dict[str, Any]
    outcome: str  # succeed, blocked, fail, hang
    polls: int = 0


# google.rpc status names for the HTTP statuses the fake answers with.
REASONS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "FAILED_PRECONDITION",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class VeoFake(ProviderFake):
    """Operations advance one step per poll: `steps` polls running, then the outcome
    (succeed, blocked, fail; hang: until released)."""

    steps: int = 2
    retired: set[str] = field(default_factory=lambda: set(RETIRED))
    operations: dict[str, Operation] = field(default_factory=dict)

    ROUTES = (
        ("POST", CREATE, "_create"),
        ("POST", FETCH, "_fetch"),
        ("GET", FILE, "_file"),
    )
    OUTCOMES = ("succeed", "fail", "blocked")  # success, failed, blocked
    CREATE, POLL, OUTPUT = ("POST", CREATE), ("POST", FETCH), ("GET", FILE)
    AUTH: ClassVar[tuple[str, str]] = ("x-goog-api-key", "")
    AUTH_MESSAGE: ClassVar[str] = (
        "Request had invalid authentication credentials. Expected OAuth 2 access"
        " token, login cookie or other valid authentication credential."
    )

    @property
    def jobs_made(self) -> dict[str, Any]:
        return self.operations

    def __post_init__(self) -> None:
        super().__post_init__()
        self.lock = threading.Lock()

    def error(self, status: int, message: str) -> Any:
        return google_error(status, message, REASONS.get(status, "FAILED_PRECONDITION"))

    def release(self, outcome: str = "succeed") -> None:
        """Let hanging operations finish with `outcome` on their next poll."""
        with self.lock:
            self.outcome, self.hold = outcome, False
            for op in self.operations.values():
                if op.outcome == "hang":
                    op.outcome = outcome

    def release_jobs(self) -> None:
        self.release(self.OUTCOMES[0])

    def throttle_polls(self, status: int = 429, retry_after: str = "2", count: int = 2) -> None:
        self.server.fail(
            *self.POLL,
            status,
            count=count,
            body=self.error(status, "try again later"),
            headers={"Retry-After": retry_after},
        )

    # -- handlers ------------------------------------------------------------------------

    def _create(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        model = req.match["model"]
        if model in self.retired:
            message = f"Publisher Model `publishers/google/models/{model}` is no longer available."
            return Response(404, google_error(404, message, "NOT_FOUND"))
        body = req.json()
        instance = (body.get("instances") or [{}])[0]
        params = body.get("parameters") or {}
        problems = []
        refs = instance.get("referenceImages") or []
        if len(refs) > MAX_REFERENCES:
            problems.append(f"at most {MAX_REFERENCES} reference images are supported")
        for ref in refs:
            if ref.get("referenceType") not in ("asset", "style", "ASSET", "STYLE"):
                problems.append(f"referenceType {ref.get('referenceType')} is not supported")
            if not (ref.get("image") or {}).get("bytesBase64Encoded"):
                problems.append("a reference image has no bytes")
        for key in ("image", "lastFrame", "video"):
            part = instance.get(key)
            if part is not None and not (part.get("bytesBase64Encoded") or part.get("gcsUri")):
                problems.append(f"{key} has no content")
        if instance.get("lastFrame") and not instance.get("image"):
            problems.append("lastFrame needs a first frame (image)")
        if not instance.get("prompt") and not instance.get("image"):
            problems.append("a prompt or an image is required")
        if params.get("durationSeconds") not in DURATIONS.get(model, {4, 6, 8}):
            problems.append(f"durationSeconds {params.get('durationSeconds')} is not supported")
        if params.get("aspectRatio", "16:9") not in ("16:9", "9:16"):
            problems.append(f"aspectRatio {params.get('aspectRatio')} is not supported")
        if params.get("resolution", "720p") not in ("720p", "1080p"):
            problems.append(f"resolution {params.get('resolution')} is not supported")
        if problems:
            return Response(400, google_error(400, "; ".join(problems), "INVALID_ARGUMENT"))
        name = (
            f"projects/takelab-fake/locations/us-central1/publishers/google/models/{model}"
            f"/operations/{uuid.uuid4()}"
        )
        with self.lock:
            self.operations[name] = Operation(name, model, body, self.outcome)
        return Response(200, {"name": name})

    def _fetch(self, req: Request) -> Response:
        if denied := self.denied(req):
            return denied
        name = req.json().get("operationName", "")
        with self.lock:
            op = self.operations.get(name)
            if op is None:
                return Response(404, google_error(404, f"Operation {name} not found", "NOT_FOUND"))
            op.polls += 1
            if op.outcome == "hang" or self.hold or op.polls <= self.steps:
                return Response(200, {"name": name})
            outcome = op.outcome
        kind = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
        if outcome == "fail":
            return Response(
                200, {"name": name, "done": True, "error": {"code": 13, "message": FAILED_MESSAGE}}
            )
        if outcome == "blocked":
            response = {
                "@type": kind,
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [FILTERED_REASON],
            }
            return Response(200, {"name": name, "done": True, "response": response})
        if self.expire_outputs:
            url = f"{self.url}/files/{name.rsplit('/', 1)[-1]}.mp4"
            videos = [{"gcsUri": url, "mimeType": "video/mp4"}]
        else:
            video = base64.b64encode(sample_mp4()).decode()
            videos = [{"bytesBase64Encoded": video, "mimeType": "video/mp4"}]
        response = {"@type": kind, "videos": videos}
        return Response(200, {"name": name, "done": True, "response": response})

    def _file(self, req: Request) -> Response:
        if self.expire_outputs:
            message = f"File {req.match['id']} was not found."
            return Response(404, google_error(404, message, "NOT_FOUND"))
        return Response(200, sample_mp4(), {"Content-Type": "video/mp4"})
