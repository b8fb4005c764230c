"""A team member's logins hold only what a member needs: each test is an attack from a
member's shell (issue 20) against the live team server of `make team-up`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from fakes.luma_fake import LumaFake
from takelab.errors import BudgetError
from takelab.journal.store import Journal, TakeState
from team_server import TeamServer

KEY = "canary-secret-456"
PRICE = 0.71  # luma ray-2, 5 s at 720p
TABLES = ("takes", "verdicts", "sweeps", "charges", "budgets", "takelab_schema")


def _db(server: TeamServer, member: str, database: str = "takelab") -> psycopg.Connection:
    url = server.members[member]["TAKELAB_JOURNAL_URL"]
    return psycopg.connect(url.rsplit("/", 1)[0] + "/" + database, autocommit=True)


def _refused(conn: psycopg.Connection, sql: str) -> str:
    """The database's refusal of `sql` (the test fails if it runs)."""
    with pytest.raises(psycopg.Error) as err:
        conn.execute(sql)
    return str(err.value)


def test_a_member_is_no_superuser_and_cannot_reach_the_host(team_server: TeamServer) -> None:
    with _db(team_server, "bob") as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = session_user"
        ).fetchone()
        assert row == (False, False, False, False, False)
        assert "superuser" in _refused(conn, "COPY takes FROM PROGRAM 'id'")
        assert "superuser" in _refused(
            conn, "COPY (SELECT 1) TO PROGRAM 'touch /tmp/takelab-pwned'"
        )
        assert "permission denied" in _refused(conn, "SELECT pg_read_file('/etc/passwd')")
        assert "permission denied" in _refused(conn, "SELECT pg_ls_dir('.')")
        assert "superuser" in _refused(conn, "CREATE ROLE evil SUPERUSER LOGIN")
        assert "permission denied" in _refused(conn, "CREATE ROLE evil LOGIN")
        assert "permission denied" in _refused(conn, "SET ROLE takelab_owner")
        assert "permission denied" in _refused(conn, "SET SESSION AUTHORIZATION alice")
    assert not Path("/tmp/takelab-pwned").exists()


@pytest.mark.parametrize("database", ["mlflow", "mlflow_auth", "postgres"])
def test_a_member_cannot_connect_to_mlflows_databases(
    team_server: TeamServer, database: str
) -> None:
    with pytest.raises(psycopg.OperationalError, match=r"pg_hba\.conf"):
        _db(team_server, "bob", database).close()
    hba = (team_server.root / "pg" / "pg_hba.conf").read_text()
    assert "replication" not in hba.replace("no replication", "")
    assert "local" not in [line.split()[0] for line in hba.splitlines() if line.strip()]


@pytest.mark.parametrize("table", TABLES)
def test_delete_drop_alter_and_money_updates_are_refused_on_every_table(
    team_server: TeamServer, table: str
) -> None:
    with _db(team_server, "bob") as conn:
        assert "permission denied" in _refused(conn, f"DELETE FROM {table}")
        assert "permission denied" in _refused(conn, f"TRUNCATE {table}")
        assert "must be owner" in _refused(conn, f"DROP TABLE {table}")
        assert "must be owner" in _refused(conn, f"ALTER TABLE {table} ADD COLUMN x INTEGER")
        assert "must be owner" in _refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "permission denied" in _refused(conn, f"CREATE TABLE {table}_copy (x INTEGER)")
        if table in ("charges", "budgets", "takelab_schema"):
            column = {"charges": "amount_usd", "budgets": "budget_usd"}.get(table, "version")
            assert "permission denied" in _refused(conn, f"UPDATE {table} SET {column} = 0")
            assert "permission denied" in _refused(conn, f"INSERT INTO {table} DEFAULT VALUES")


# -- money: the server's budget, and a ledger members cannot rewrite ------------------------


@pytest.fixture(scope="module")
def luma() -> Iterator[LumaFake]:
    with LumaFake(key=KEY, steps=2).running() as fake:
        yield fake


def _project(
    tmp_path: Path, name: str, budget: float, variants: int = 4, *, quick: bool = False
) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    duration, resolution = (1, "480p") if quick else (5, "720p")
    body = "\n".join(
        f"""      - id: v{i}
        subject: a black cat
        action: stretches and turns its head, take {i} of {name}
        camera: static close-up
        lighting: golden hour sun setting through the window"""
        for i in range(1, variants + 1)
    )
    path.write_text(
        f"""\
project: {name}
budget_usd: {budget}
defaults:
  duration: {duration}
  aspect: "16:9"
  resolution: {resolution}
shots:
  - id: cat
    variants:
{body}
"""
    )
    return path


SWEEP = """
import json, sys
from takelab.sweep.run import run_sweep
backend = sys.argv[2]
result = run_sweep(sys.argv[1], backends=[backend], seeds=1, concurrency=2, progress=False)
print(json.dumps([[o.take_id, o.status, o.cost_usd] for o in result.outcomes]))
"""


def member_env(server: TeamServer, member: str, home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "TAKELAB_JOURNAL", "TAKELAB_HOME", "TAKELAB_ADMIN"))
    }
    env.update(server.members[member], TAKELAB_HOME=str(home), **extra)
    return env


def _sweep(
    server: TeamServer, member: str, project: Path, home: Path, backend: str, **extra: str
) -> list[list[object]]:
    done = subprocess.run(
        [sys.executable, "-c", SWEEP, str(project), backend],
        env=member_env(server, member, home, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_team_budget_holds_whatever_a_members_file_says(
    team_server: TeamServer, luma: LumaFake, tmp_path: Path
) -> None:
    # The admin sets $1.00; alice's file says $1, bob's copy of it says $5.
    assert team_server.admin("budget", "capped", "1.00").returncode == 0
    lumas = {"LUMAAI_API_KEY": KEY, "LUMAAI_BASE_URL": luma.base_url}
    lumas["TAKELAB_POLL_INTERVAL_S"] = "0.2"
    before = luma.creates
    alice = _sweep(
        team_server, "alice", _project(tmp_path, "capped", 1), tmp_path / "a", "luma", **lumas
    )
    bob = _sweep(
        team_server, "bob", _project(tmp_path / "b", "capped", 5), tmp_path / "b", "luma", **lumas
    )
    made = luma.creates - before
    assert made * PRICE <= 1.00 + 1e-9 and made == 1  # counted by the provider's creates
    assert [s for _, s, _ in alice].count("done") == 1
    assert {s for _, s, _ in bob} <= {"over-budget", "busy", "cached"}
    journal = Journal(team_server.journal_url)
    assert journal.spent(project="capped") == pytest.approx(PRICE)

    # A modified client: bob writes a reservation or a cost reset by hand.
    with _db(team_server, "bob") as conn:
        msg = _refused(
            conn,
            "INSERT INTO takes (take_id, project, shot, variant, backend, model, seed,"
            " request_json, state, reserved_usd, created_at, updated_at) VALUES"
            " ('f00d', 'capped', 'cat', 'v9', 'luma', 'ray-2', 1, '{}', 'reserved', 0.71, 0, 0)",
        )
        assert "over the team budget" in msg
        # Another member's takes: invisible to UPDATE (row-level security), so untouched.
        alices = "UPDATE takes SET cost_usd = 0, state = 'failed' WHERE member = 'alice'"
        assert conn.execute(alices).rowcount == 0
    done_take = next(t for t in journal.takes(project="capped") if t.state is TakeState.DONE)
    with _db(team_server, "alice") as conn:
        msg = _refused(conn, f"UPDATE takes SET cost_usd = 0 WHERE take_id = '{done_take.take_id}'")
        assert "append-only" in msg
    assert journal.spent(project="capped") == pytest.approx(PRICE)
    # A project the admin gave no budget spends nothing.
    free = _sweep(
        team_server, "bob", _project(tmp_path, "unbudgeted", 50, 1), tmp_path / "b", "luma", **lumas
    )
    assert [s for _, s, _ in free] == ["over-budget"] and luma.creates - before == 1


# -- MLflow: members own their runs -------------------------------------------------------


def test_members_own_their_runs_and_review_each_others(
    team_server: TeamServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.client import AuthServiceClient

    project = _project(tmp_path, "reviewed", 0, 1, quick=True)
    outcome = _sweep(team_server, "alice", project, tmp_path / "a", "previz")
    take_id = str(outcome[0][0])
    journal = Journal(team_server.journal_url)
    take = journal.get(take_id)
    assert take is not None and take.member == "alice" and take.run_id

    for key, value in team_server.members["bob"].items():
        monkeypatch.setenv(key, value)
    bob = MlflowClient(tracking_uri=team_server.tracking_uri)
    run = bob.get_run(take.run_id)  # READ on alice's runs
    assert run.data.tags["takelab.take_id"] == take_id
    for attack in (
        lambda: bob.delete_run(take.run_id),
        lambda: bob.set_tag(take.run_id, "takelab.verdict", "reject"),
        lambda: bob.log_metric(take.run_id, "accepted", 0),
        lambda: bob.delete_experiment(run.info.experiment_id),
        lambda: AuthServiceClient(team_server.tracking_uri).create_user("mallory", "x" * 16),
        lambda: AuthServiceClient(team_server.tracking_uri).update_user_admin("bob", True),
    ):
        with pytest.raises(MlflowException, match=r"403|PERMISSION_DENIED"):
            attack()

    # Bob's verdict on alice's take: recorded as bob's, shown on her run by her next sync.
    home_b = tmp_path / "b"
    cmd = [sys.executable, "-m", "takelab.cli"]
    env_b = member_env(team_server, "bob", home_b)
    verdict = subprocess.run(
        [*cmd, "verdict", take_id[:12], "reject", "--reason", "blurry"],
        env=env_b,
        capture_output=True,
        text=True,
    )
    assert verdict.returncode == 0, verdict.stderr
    assert "alice's next `takelab sync`" in verdict.stdout
    (latest,) = journal.verdicts(take_id)
    assert (latest.member, latest.verdict) == ("bob", "reject")
    # Bob cannot pass a verdict off as alice's.
    with _db(team_server, "bob") as conn:
        conn.execute(
            "INSERT INTO verdicts (take_id, verdict, created_at, member)"
            f" VALUES ('{take_id}', 'accept', 0, 'alice')"
        )
        assert "permission denied" in _refused(conn, "UPDATE verdicts SET verdict = 'accept'")
    assert [v.member for v in journal.verdicts(take_id)] == ["bob", "bob"]
    env_a = member_env(team_server, "alice", tmp_path / "a")
    synced = subprocess.run([*cmd, "sync"], env=env_a, capture_output=True, text=True)
    assert synced.returncode == 0, synced.stderr
    tags = bob.get_run(take.run_id).data.tags
    assert tags["takelab.reviewer"] == "bob" and tags["takelab.member"] == "alice"
    assert tags["takelab.verdict"] == "accept"  # the latest verdict (bob's second)


def test_a_members_journal_releases_and_resolves_its_own_takes(team_server: TeamServer) -> None:
    """The money path of a member's login: what needs DELETE goes through the database's
    function, and a booked cost lands in the ledger, whichever way the take ends."""
    from test_journal import req

    assert team_server.admin("budget", "own-path", "2").returncode == 0
    alice = Journal(team_server.members["alice"]["TAKELAB_JOURNAL_URL"])
    bob = Journal(team_server.members["bob"]["TAKELAB_JOURNAL_URL"])
    assert (alice.member, alice.db.restricted) == ("alice", True)
    first, second, third = (req(seed=s, project="own-path") for s in (1, 2, 3))
    assert alice.claim(first, 0.5, sweep_id="s1").claim.value == "new"
    assert bob.claim(first, 0.5, sweep_id="s2").claim.value == "busy"  # alice's take
    alice.release(first.take_id)  # interrupted before submitting: forgotten
    assert alice.get(first.take_id) is None and alice.spent(project="own-path") == 0
    alice.claim(second, 0.5, sweep_id="s1")
    alice.mark_submitting(second.take_id)
    alice.mark_uncertain(second.take_id, "timeout")
    bob.release(second.take_id)  # not bob's to forget
    assert alice.get(second.take_id) is not None
    alice.resolve_uncertain(second.take_id, job_id=None, created=True)  # booked as spent
    assert alice.spent(project="own-path") == pytest.approx(0.5)
    alice.claim(third, 0.5, sweep_id="s1")
    alice.mark_submitting(third.take_id)
    alice.mark_uncertain(third.take_id, "timeout")
    alice.resolve_uncertain(third.take_id, job_id=None, created=False)  # never created
    assert alice.get(third.take_id) is None
    assert alice.spent(project="own-path") == pytest.approx(0.5)
    # A modified client skipping the budget check: the database still holds it.
    over = pytest.raises(BudgetError, match="over the team budget")
    with over, alice.db.connect(write=True) as conn:
        conn.execute(
            "UPDATE takes SET state = 'reserved', reserved_usd = 5, cost_usd = NULL"
            " WHERE take_id = ?",
            (second.take_id,),
        )
