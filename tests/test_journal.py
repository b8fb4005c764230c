"""The journal: migrations, claims, budget reservations under concurrency, verdict history."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from takelab.backends import TakeRequest
from takelab.errors import TakeNotFoundError
from takelab.journal.schema import MIGRATIONS
from takelab.journal.store import Claim, Journal, TakeState


def req(seed: int = 1, project: str = "p", **kw: object) -> TakeRequest:
    data: dict[str, object] = dict(
        project=project,
        shot="s",
        variant="v",
        prompt="a cat walks",
        backend="priced",
        model="tenth",
        duration_s=2.0,
        aspect="16:9",
        resolution="720p",
        seed=seed,
    )
    data.update(kw)
    return TakeRequest.model_validate(data)


def test_schema_is_migrated_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal(path)
    Journal(path)  # idempotent
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_an_old_journal_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    conn = sqlite3.connect(path)
    for statement in filter(str.strip, MIGRATIONS[0].split(";")):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    j = Journal(path)
    j.start_sweep("s1", "p", None, {})
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_sweep_whose_process_died_is_closed_as_failed(journal_at: str | Path) -> None:
    import socket

    j = Journal(journal_at)
    j.start_sweep("dead", "p", None, {})
    j.set_sweep_run("dead", "run-1")
    j.start_sweep("mine", "p", None, {})
    with j._connect(write=True) as conn:
        conn.execute(
            "UPDATE sweeps SET owner = ? WHERE sweep_id = 'dead'",
            (f"{socket.gethostname()}:999999:0",),
        )
    assert j.close_dead_sweeps() == [("dead", "run-1")]
    assert j.close_dead_sweeps() == []  # once
    with j._connect(write=True) as conn:
        status = dict(conn.execute("SELECT sweep_id, status FROM sweeps").fetchall())
    assert status == {"dead": "failed", "mine": "running"}


def test_take_id_is_a_content_hash() -> None:
    assert req().take_id == req().take_id
    assert req(seed=2).take_id != req().take_id
    assert req(shot="other").take_id == req().take_id  # the same request sent
    assert req(prompt="a dog").take_id != req().take_id
    assert req(image_path="/x.png").take_id == req().take_id


def test_claim_new_then_cached_after_settle(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    r = j.claim(req(), 0.2, sweep_id="a")
    assert r.claim is Claim.NEW and r.record and r.record.reserved_usd == 0.2
    j.mark_submitting(req().take_id)
    j.record_job(req().take_id, "job-1")
    j.settle(req().take_id, TakeState.DONE, cost_usd=0.15, path="/x.mp4", sha256="ab")
    again = j.claim(req(), 0.2, sweep_id="b")
    assert again.claim is Claim.CACHED
    assert again.record and again.record.job_id == "job-1" and again.record.cost_usd == 0.15
    assert j.spent(project="p") == pytest.approx(0.15)


def test_over_budget_is_recorded_and_admitted_with_more_budget(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    assert j.claim(req(1), 0.3, sweep_id="a", sweep_budget_usd=0.5).claim is Claim.NEW
    second = j.claim(req(2), 0.3, sweep_id="a", sweep_budget_usd=0.5)
    assert second.claim is Claim.OVER_BUDGET
    assert j.get(req(2).take_id).state is TakeState.OVER_BUDGET  # type: ignore[union-attr]
    assert j.claim(req(2), 0.3, sweep_id="b", sweep_budget_usd=1.0).claim is Claim.NEW


def test_project_budget_counts_every_sweep(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    assert j.claim(req(1), 0.4, sweep_id="a", project_budget_usd=0.5).claim is Claim.NEW
    assert j.claim(req(2), 0.4, sweep_id="b", project_budget_usd=0.5).claim is Claim.OVER_BUDGET
    # Another project has its own budget.
    other = req(2, project="q")
    assert j.claim(other, 0.4, sweep_id="b", project_budget_usd=0.5).claim is Claim.NEW


def test_budget_holds_under_16_threads(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    admitted: list[float] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        price = 0.05 + (i % 5) * 0.03
        r = j.claim(req(i), price, sweep_id="s", sweep_budget_usd=1.0)
        if r.claim is Claim.NEW:
            with lock:
                admitted.append(price)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) <= 1.0 + 1e-9
    assert sum(admitted) > 0.8  # the budget was actually used, not refused wholesale
    assert j.spent(sweep_id="s") == pytest.approx(sum(admitted))


def test_submitting_take_of_a_dead_process_becomes_uncertain(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    j.claim(req(), 0.2, sweep_id="a")
    j.mark_submitting(req().take_id)
    with j._connect(write=True) as conn:
        conn.execute("UPDATE takes SET owner = 'nohost-dead:1:1'")
    # An owner on another host counts as alive; make it this host's dead pid instead.
    import socket

    with j._connect(write=True) as conn:
        conn.execute("UPDATE takes SET owner = ?", (f"{socket.gethostname()}:999999:0",))
    r = j.claim(req(), 0.2, sweep_id="b")
    assert r.claim is Claim.SETTLED
    rec = j.get(req().take_id)
    assert rec is not None and rec.state is TakeState.UNCERTAIN
    assert j.spent(project="p") == pytest.approx(0.2)  # the money stays held


def test_submitted_take_is_resumed_by_its_job_id(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    j.claim(req(), 0.2, sweep_id="a")
    j.record_job(req().take_id, "job-42")
    r = j.claim(req(), 0.2, sweep_id="b")
    assert r.claim is Claim.RESUME and r.record and r.record.job_id == "job-42"


def test_verdict_history_is_kept(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    j.claim(req(), 0.0, sweep_id="a")
    j.add_verdict(req().take_id, "reject", ["static"], "nothing moves")
    j.add_verdict(req().take_id, "accept", [], "on second look")
    history = j.verdicts(req().take_id)
    assert [v.verdict for v in history] == ["reject", "accept"]
    assert history[0].reasons == ["static"]
    assert j.latest_verdicts()[req().take_id].verdict == "accept"
    with pytest.raises(TakeNotFoundError):
        j.add_verdict("0" * 16, "accept")


def test_find_by_prefix(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    for s in range(40):
        j.claim(req(s), 0.0, sweep_id="a")
    tid = req(3).take_id
    assert j.find(tid[:10]).take_id == tid
    firsts = [req(s).take_id[0] for s in range(40)]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    with pytest.raises(TakeNotFoundError, match="ambiguous"):
        j.find(shared)
    with pytest.raises(TakeNotFoundError, match="no take"):
        j.find("")
    with pytest.raises(TakeNotFoundError, match="no take"):
        j.find("zz-not-hex")


@pytest.mark.parametrize("mode", ["job", "not-created", "lost"])
def test_the_user_resolves_an_uncertain_take(mode: str, takelab_home: Path) -> None:
    from click.testing import CliRunner

    from takelab.cli import main
    from takelab.home import Home

    j = Journal(Home.from_env().ensure().journal)
    tid = req().take_id
    j.claim(req(), 0.3, sweep_id="a")
    j.mark_submitting(tid)
    j.mark_uncertain(tid, "timed out")
    assert j.spent() == pytest.approx(0.3)
    args = {"job": ["--job", "job-9"], "not-created": ["--not-created"], "lost": ["--lost"]}
    result = CliRunner().invoke(main, ["resolve", tid[:8], *args[mode]])
    assert result.exit_code == 0, result.output
    rec = j.get(tid)
    if mode == "job":
        assert rec is not None and rec.state is TakeState.SUBMITTED and rec.job_id == "job-9"
        assert j.claim(req(), 0.3, sweep_id="b").claim is Claim.RESUME
    elif mode == "not-created":
        assert rec is None and j.spent() == 0
        assert j.claim(req(), 0.3, sweep_id="b").claim is Claim.NEW
    else:
        assert rec is not None and rec.state is TakeState.FAILED and rec.cost_usd == 0.3
        assert j.spent() == pytest.approx(0.3)
    again = CliRunner().invoke(main, ["resolve", tid[:8], "--lost"])
    assert again.exit_code != 0 and "Traceback" not in again.output


def test_resolve_needs_exactly_one_choice() -> None:
    from click.testing import CliRunner

    from takelab.cli import main

    result = CliRunner().invoke(main, ["resolve", "abcd", "--lost", "--not-created"])
    assert result.exit_code == 2 and "exactly one" in result.output


def test_the_first_run_bound_to_a_take_wins(journal_at: str | Path) -> None:
    j = Journal(journal_at)
    j.claim(req(), 0.0, sweep_id="a")
    assert j.bind_run(req().take_id, "run-a") == "run-a"
    assert j.bind_run(req().take_id, "run-b") == "run-a"  # the other client logs to run-a
    assert j.get(req().take_id).run_id == "run-a"  # type: ignore[union-attr]


def test_a_journal_from_a_newer_takelab_is_refused(journal_at: str | Path) -> None:
    from takelab.errors import TakelabError

    j = Journal(journal_at)
    with j._connect(write=True) as conn:
        if isinstance(journal_at, Path):
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        else:
            conn.execute("UPDATE takelab_schema SET version = ?", (len(MIGRATIONS) + 1,))
    with pytest.raises(TakelabError, match="newer takelab"):
        Journal(journal_at)
