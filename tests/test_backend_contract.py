"""The contract every provider backend keeps, run against each provider's fake (tests/fakes/):
create, poll, download; each error class of a create call (auth, rate limit, insufficient
credit, bad request, validation, 5xx, a connection that never opened) and of a job
(failed, moderated); transient poll errors; resume by id past the deadline; a dropped
create (the provider accepted the job, the reply was lost); an expired output; keys.

What is specific to one provider (its request shape, its own switches) stays in
tests/test_backend_<name>.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fakes._provider_fake import ProviderFake
from fakes.contract import PROMPT, PROVIDERS, Provider, journal, point_at, sweep, take_run
from takelab.backends import JobState, TakeRequest, get_backend
from takelab.errors import MissingKeyError, SubmitError, TakelabError, UsageError
from takelab.home import Home
from takelab.journal.store import TakeState
from takelab.media import io as media


@dataclass
class Case:
    """One provider under test: its fake (running, reset), the waits its retries asked for,
    and helpers to run takes through a sweep or the backend directly."""

    p: Provider
    fake: Any
    slept: list[float]
    tmp_path: Path

    def project(self, *, duration: float | None = None, variants: int = 1) -> Path:
        lines = [
            "project: contract",
            "defaults:",
            f"  duration: {duration or self.p.duration:g}",
            '  aspect: "16:9"',
            f"  resolution: {self.p.resolution}",
            "shots:",
            "  - id: walk",
            "    variants:",
        ]
        for n in range(1, variants + 1):
            lines += [f"      - id: v{n}", f"        prompt: {PROMPT}, take {n}"]
        path = self.tmp_path / "contract.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def sweep(self, path: Path | None = None) -> list[Any]:
        return list(sweep(path or self.project(), self.p.spec).outcomes)

    def request(self, **changes: Any) -> TakeRequest:
        backend = get_backend(self.p.spec)
        base: dict[str, Any] = dict(
            project="contract",
            shot="walk",
            variant="v1",
            prompt=PROMPT,
            backend=backend.name,
            model=backend.model,
            duration_s=float(self.p.duration),
            aspect="16:9",
            resolution=self.p.resolution,
            seed=7,
        )
        return TakeRequest(**{**base, **changes})


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ProviderFake]]:
    # One server per provider for the module: starting and stopping one costs half a second.
    with ExitStack() as stack:
        yield {p.name: stack.enter_context(p.make().running()) for p in PROVIDERS}


@pytest.fixture(params=PROVIDERS, ids=[p.name for p in PROVIDERS])
def case(
    request: pytest.FixtureRequest,
    servers: dict[str, ProviderFake],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Case:
    p: Provider = request.param
    fake = servers[p.name]
    fake.reset()
    return Case(p, fake, point_at(p, fake, monkeypatch), tmp_path)


# -- create, poll, download ---------------------------------------------------------------


def test_a_take_lands_decodes_costs_its_price_and_a_rerun_is_cached(case: Case) -> None:
    path = case.project()
    (out,) = case.sweep(path)
    assert out.status == "done", out.message
    take = Home.from_env().take_dir(out.take_id) / "take.mp4"
    assert out.path == str(take)
    assert media.check_decodes(take).duration_s > 0
    assert out.cost_usd == pytest.approx(case.p.price)
    tags, metrics = take_run("contract", out.take_id)
    assert tags["takelab.status"] == "done"
    assert metrics["cost_usd"] == pytest.approx(case.p.price)
    assert journal().spent() == pytest.approx(case.p.price)
    assert case.fake.creates == 1

    (again,) = case.sweep(path)
    assert again.status == "cached" and again.cost_usd == 0
    assert case.fake.creates == 1


def test_create_poll_and_download_straight_through_the_backend(case: Case) -> None:
    backend = get_backend(case.p.spec)
    job = backend.submit(case.request())
    states = []
    while not (status := backend.poll(job)).state.terminal:
        states.append(status.state)
        assert len(states) < 20
    assert status.state is JobState.SUCCEEDED, status
    assert states and set(states) <= {JobState.QUEUED, JobState.RUNNING}
    dest = backend.fetch(job, case.tmp_path / "out.mp4")
    assert media.check_decodes(dest).duration_s > 0
    assert not list(case.tmp_path.glob("*.part"))
    assert case.fake.creates == 1


def test_a_job_is_resumed_by_its_id_from_another_backend_instance(case: Case) -> None:
    # What a rerun in a new process does: the job id from the journal is all it has.
    job = get_backend(case.p.spec).submit(case.request())
    fresh = get_backend(case.p.spec)
    while not (status := fresh.poll(job)).state.terminal:
        pass
    assert status.state is JobState.SUCCEEDED
    assert media.check_decodes(fresh.fetch(job, case.tmp_path / "v.mp4")).duration_s > 0
    assert case.fake.creates == 1


def test_a_job_past_the_deadline_is_left_pending_and_resumed_by_its_id(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case.p.backend, "deadline_s", 0.1)
    case.fake.hold_jobs()
    path = case.project()
    (out,) = case.sweep(path)
    assert out.status == "pending"
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.SUBMITTED
    assert record.job_id and case.fake.creates == 1
    assert journal().spent() == pytest.approx(case.p.price)  # held while it runs

    case.fake.release_jobs()
    (again,) = case.sweep(path)
    assert again.status == "done", again.message
    assert case.fake.creates == 1  # resumed by its id, never created again
    assert journal().get(out.take_id).job_id == record.job_id  # type: ignore[union-attr]
    assert take_run("contract", out.take_id)[1]["cost_usd"] == pytest.approx(case.p.price)


# -- jobs that end badly -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["failed", "blocked"])
def test_failed_and_moderated_jobs_keep_the_providers_reason_and_charge(
    case: Case, kind: str
) -> None:
    code, words, cost = case.p.failed if kind == "failed" else case.p.blocked
    case.fake.finish_with(kind)
    (out,) = case.sweep()
    assert out.status == kind
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState(kind)
    assert record.error_code == code
    assert words in (record.error_message or "")
    assert record.cost_usd == pytest.approx(cost)
    assert journal().spent() == pytest.approx(cost)
    tags, metrics = take_run("contract", out.take_id)
    assert tags["takelab.status"] == kind and metrics["cost_usd"] == pytest.approx(cost)
    assert case.fake.creates == 1


@pytest.mark.parametrize("status", [429, 503])
def test_transient_poll_errors_wait_as_retry_after_asks_and_finish(case: Case, status: int) -> None:
    case.fake.throttle_polls(status, retry_after="3", count=2)
    (out,) = case.sweep()
    assert out.status == "done", out.message
    assert len([s for s in case.slept if s >= 3]) == 2, case.slept
    assert case.fake.creates == 1


def test_a_transient_download_error_is_retried_as_retry_after_asks(case: Case) -> None:
    if case.p.name == "veo":
        pytest.skip("Vertex AI returns the video inline, with the poll that says it is done")
    case.fake.server.fail(*case.fake.OUTPUT, 502, count=1, headers={"Retry-After": "4"})
    (out,) = case.sweep()
    assert out.status == "done", out.message
    assert 4.0 in case.slept
    assert len(case.fake.headers_seen(*case.fake.OUTPUT)) == 2  # the 502, then the video


def test_an_expired_output_fails_the_take_charged_and_settled(case: Case) -> None:
    """The job finished, but its output answers as expired storage does: the video was
    made and billed, so the take ends failed at its price, the failed download is not
    retried, and a rerun asks the provider nothing."""
    case.fake.expire_outputs = True
    path = case.project()
    (out,) = case.sweep(path)
    assert out.status == "failed", out.message
    record = journal().get(out.take_id)
    assert record is not None and record.state is TakeState.FAILED
    assert record.error_code == "output-expired"
    assert case.p.expired in (record.error_message or "")
    assert record.cost_usd == pytest.approx(case.p.price)
    assert journal().spent() == pytest.approx(case.p.price)
    home = Home.from_env()
    assert list(home.takes.iterdir()) == [] and list(home.tmp.iterdir()) == []
    assert case.fake.downloads == 1
    seen = case.fake.requests

    case.fake.expire_outputs = False
    (again,) = case.sweep(path)
    assert again.status == "failed"
    assert case.fake.requests == seen
    assert journal().spent() == pytest.approx(case.p.price)


# -- create calls that fail: never sent twice, never a lost job -----------------------------


@pytest.mark.parametrize(
    ("status", "what"),
    [
        (400, "Invalid request: the prompt is too long"),
        (401, "Invalid API key"),
        (402, "Insufficient credit: add credit to your account"),
        (422, "Input validation failed: duration"),
        (429, "Rate limit reached for requests"),
    ],
    ids=["bad-request", "auth", "no-credit", "validation", "rate-limit"],
)
def test_a_create_the_provider_refuses_created_nothing_and_costs_nothing(
    case: Case, status: int, what: str
) -> None:
    case.fake.refuse_create(status, what)
    with pytest.raises(SubmitError) as err:
        get_backend(case.p.spec).submit(case.request())
    assert err.value.reached_provider is False
    assert err.value.code == f"http-{status}" and not err.value.blocked
    assert case.fake.creates == 0


def test_a_refused_create_through_a_sweep_fails_at_no_cost(case: Case) -> None:
    case.fake.refuse_create(400, "Invalid request: the prompt is too long")
    (out,) = case.sweep()
    assert out.status == "failed"
    record = journal().get(out.take_id)
    assert record is not None and record.error_code == "http-400" and record.cost_usd == 0
    assert "prompt is too long" in (record.error_message or "")
    assert journal().spent() == 0
    assert case.fake.creates == 0


def test_a_create_refused_by_moderation_is_blocked_and_not_sent_again(case: Case) -> None:
    case.fake.refuse_create(400, "The prompt violates our content policy (moderation)")
    with pytest.raises(SubmitError) as err:
        get_backend(case.p.spec).submit(case.request())
    assert err.value.blocked and err.value.code == "moderation"
    assert err.value.reached_provider is False


@pytest.mark.parametrize("status", [500, 503])
def test_a_create_answered_with_5xx_may_have_started_a_job(case: Case, status: int) -> None:
    case.fake.refuse_create(status, "upstream failed")
    with pytest.raises(SubmitError) as err:
        get_backend(case.p.spec).submit(case.request())
    assert err.value.reached_provider is True  # never retried: it may bill
    assert err.value.code == f"http-{status}"
    assert case.fake.server.log and len(case.fake.headers_seen(*case.fake.CREATE)) == 1


def test_a_wrong_key_or_a_closed_port_creates_nothing(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(case.p.key_env, "not-the-key")
    with pytest.raises(SubmitError, match="HTTP 401") as err:
        get_backend(case.p.spec).submit(case.request())
    assert err.value.reached_provider is False
    monkeypatch.setenv(case.p.url_env, "http://127.0.0.1:9/")
    with pytest.raises(SubmitError, match="could not connect") as err:
        get_backend(case.p.spec).submit(case.request())
    assert err.value.reached_provider is False
    assert not case.fake.jobs_made  # the refused request reached the API, made nothing


@pytest.mark.parametrize("reply", [None, 503], ids=["dropped", "5xx-after-create"])
def test_a_lost_create_reply_is_uncertain_never_resent_and_found_where_jobs_are_listed(
    case: Case, reply: int | None
) -> None:
    # The provider made the job; its reply was lost (the connection dropped) or was a 5xx.
    started = time.time()
    case.fake.server.fail(*case.fake.CREATE, reply, after=True)
    path = case.project()
    (out,) = case.sweep(path)
    assert out.status == "uncertain"
    assert case.fake.creates == 1  # the job exists at the provider
    assert journal().spent() == pytest.approx(case.p.price)  # held until resolved
    assert take_run("contract", out.take_id)[0]["takelab.status"] == "uncertain"

    (again,) = case.sweep(path)
    assert case.fake.creates == 1
    assert journal().spent() == pytest.approx(case.p.price)
    backend = get_backend(case.p.spec)
    if not backend.lists_jobs:  # nothing to match it with: the user resolves it
        assert again.status == "uncertain"
        # One line says why, and the commands that settle it.
        assert "takelab resolve" in again.message and "--resubmit" in again.message
        assert "--abandon" in again.message and f"${case.p.price:.2f}" in again.message
        return
    assert again.status == "done", again.message  # reconciled: found by listing
    record = journal().get(out.take_id)
    assert record is not None
    assert backend.find_jobs(record.request, since=started) == [record.job_id]
    assert backend.find_jobs(case.request(prompt="another prompt entirely")) == []


# -- before anything is sent ---------------------------------------------------------------


def test_a_missing_key_is_named_before_any_request(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(case.p.key_env)
    with pytest.raises(MissingKeyError, match=case.p.key_env):
        case.sweep()
    assert case.fake.requests == 0


def test_settings_the_model_cannot_take_stop_before_anything_is_sent(case: Case) -> None:
    (out,) = case.sweep(case.project(duration=20))
    assert out.status == "lint" and "too-long" in out.message
    backend = get_backend(case.p.spec)
    for bad in (case.request(duration_s=4.5), case.request(aspect="2:1")):
        with pytest.raises(UsageError, match="is not allowed"):
            backend.price(bad)
        with pytest.raises(TakelabError, match="is not allowed") as err:
            backend.submit(bad)
        assert getattr(err.value, "reached_provider", False) is False
    assert case.fake.requests == 0


def test_the_key_is_never_written_or_logged(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert [o.status for o in case.sweep(case.project())] == ["done"]
    case.fake.finish_with("blocked")
    case.fake.throttle_polls(503, retry_after="0", count=1)
    case.sweep(case.project(variants=2))
    assert case.fake.server.saw_header_value(case.fake.key)  # it was sent, as it must be
    home = Home.from_env()
    files = [p for p in home.root.rglob("*") if p.is_file()]
    assert home.journal in files
    for f in files:
        assert case.fake.key.encode() not in f.read_bytes(), f
    assert case.fake.key not in caplog.text
