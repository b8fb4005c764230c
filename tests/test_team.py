"""Team mode: PostgreSQL and the authenticated MLflow server of `make team-up`, shared by
clients with their own TAKELAB_HOMEs (one record of takes, one budget, files via MLflow)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.luma_fake import LumaFake
from takelab.home import Home
from takelab.journal.db import redact
from takelab.journal.store import Journal, TakeState
from takelab.media.probe import file_sha256
from takelab.review.take_files import local_video
from team_server import TeamServer

ROOT = Path(__file__).resolve().parents[1]
KEY = "canary-secret-123"
PRICE = 0.71  # luma ray-2, 5 s at 720p
BUDGET = 3.0  # four takes fit, eight are asked for


def _get(url: str, auth: tuple[str, str] | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        request.add_header("Content-Type", "application/json")
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_tracking_api_refuses_requests_without_a_valid_login(team_server: TeamServer) -> None:
    base = team_server.tracking_uri
    reads = [
        "/api/2.0/mlflow/experiments/search?max_results=1",
        "/api/2.0/mlflow/runs/search",
        "/api/2.0/mlflow-artifacts/artifacts",
        "/ajax-api/2.0/mlflow/experiments/search?max_results=1",
    ]
    create = b'{"name": "intruder"}'
    for path in reads:
        assert _get(base + path) == 401, path
        assert _get(base + path, auth=("admin", "wrong-password-123")) == 401, path
        assert _get(base + path, auth=("nobody", team_server.admin_password)) == 401, path
    assert _get(base + "/api/2.0/mlflow/experiments/create", data=create) == 401
    # The job API of CVE-2026-0545 is not open either.
    assert _get(base + "/ajax-api/3.0/jobs/search", data=b"{}") in (401, 403, 404, 405)
    admin = ("admin", team_server.admin_password)
    assert _get(base + reads[0], auth=admin) == 200
    # The server and PostgreSQL listen on the loopback only.
    assert base.startswith("http://127.0.0.1:")
    assert "@127.0.0.1:" in team_server.journal_url


@pytest.mark.parametrize("password", [None, "short-pw"])
def test_team_up_needs_an_admin_password_of_12_characters(
    password: str | None, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TAKELAB_ADMIN_PASSWORD"}
    if password is not None:
        env["TAKELAB_ADMIN_PASSWORD"] = password
    env["TAKELAB_TEAM_DIR"] = str(tmp_path / "team")
    done = subprocess.run(
        [sys.executable, "-m", "takelab.team", "up"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "TAKELAB_ADMIN_PASSWORD" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "team" / "pg").exists()  # nothing was started


def test_a_journal_url_is_redacted_in_messages(team_server: TeamServer) -> None:
    from takelab.errors import TakelabError

    url = team_server.journal_url
    password = url.split(":")[2].split("@")[0]
    assert password not in redact(url) and "***" in redact(url)
    wrong = url.replace(password, "not-the-password")
    with pytest.raises(TakelabError) as err:
        Journal(wrong)
    assert "not-the-password" not in str(err.value)
    assert "team journal" in str(err.value)


# -- two clients, one record and one budget ---------------------------------------------


@pytest.fixture
def luma() -> Iterator[LumaFake]:
    with LumaFake(key=KEY, steps=4).running() as fake:
        yield fake


def _project(tmp_path: Path) -> Path:
    path = tmp_path / "shared" / "team.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    variants = "\n".join(
        f"""      - id: v{i}
        subject: a black cat
        action: stretches and turns its head, take {i}
        camera: static close-up
        lighting: golden hour sun setting through the window"""
        for i in range(1, 5)
    )
    path.write_text(
        f"""\
project: team-test
budget_usd: {BUDGET}
defaults:
  duration: 5
  aspect: "16:9"
  resolution: 720p
shots:
  - id: cat
    variants:
{variants}
"""
    )
    return path


SWEEP = """
import json, sys
from takelab.sweep.run import run_sweep
result = run_sweep(sys.argv[1], backends=["luma"], seeds=2, concurrency=4, progress=False)
print(json.dumps([[o.take_id, o.status, o.cost_usd] for o in result.outcomes]))
"""


def _client_env(server: TeamServer, home: Path, member: str, luma: LumaFake) -> dict[str, str]:
    """A member's shell: the exports `add-member` printed for them, nothing of the admin's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "TAKELAB_JOURNAL", "TAKELAB_HOME", "TAKELAB_ADMIN"))
    }
    env.update(server.members[member])
    env.update(
        TAKELAB_HOME=str(home),
        LUMAAI_API_KEY=KEY,
        LUMAAI_BASE_URL=luma.base_url,
        TAKELAB_POLL_INTERVAL_S="0.2",
    )
    return env


def test_two_clients_pay_once_per_take_within_one_budget_and_share_files(
    team_server: TeamServer, luma: LumaFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    journal_url = team_server.journal_url  # the admin's view of the team journal
    set_budget = team_server.admin("budget", "team-test", str(BUDGET))
    assert set_budget.returncode == 0, set_budget.stderr
    homes = [tmp_path / "alice", tmp_path / "bob"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SWEEP, str(project)],
            env=_client_env(team_server, home, home.name, luma),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in homes
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    journal = Journal(journal_url)
    takes = journal.takes(project="team-test")
    assert len(takes) == 8
    assert {t.member for t in takes} <= {"alice", "bob"}  # each take names its member
    done = [t for t in takes if t.state is TakeState.DONE]
    # One job per take between the two clients, and together within the one budget.
    assert luma.creates == len(done) == len({t.job_id for t in done})
    assert 1 <= len(done) <= int(BUDGET // PRICE)
    assert journal.spent(project="team-test") <= BUDGET + 1e-9
    assert sum(c for r in results for _, s, c in r if s == "done") <= BUDGET + 1e-9
    assert {t.state for t in takes} <= {TakeState.DONE, TakeState.OVER_BUDGET}
    statuses = [s for r in results for _, s, _ in r]
    assert statuses.count("done") == len(done)  # each take was made by exactly one client

    # Every take is one MLflow run on the server, its files behind the artifact proxy.
    from mlflow import MlflowClient

    for key, value in team_server.env.items():
        monkeypatch.setenv(key, value)
    client = MlflowClient(tracking_uri=team_server.tracking_uri)
    from takelab.tracking.tracker import Tracker

    # Each member logs into an experiment of their own (MLflow grants per experiment).
    exp_ids = Tracker(Home.from_env()).project_experiments("team-test")
    names = {client.get_experiment(e).name for e in exp_ids}
    assert names <= {"team-test/alice", "team-test/bob"} and names
    runs = client.search_runs(exp_ids, "tags.`takelab.kind` = 'take'")
    by_take = {r.data.tags["takelab.take_id"]: r for r in runs}
    assert len(runs) == len(by_take) == 8
    for t in done:
        assert by_take[t.take_id].info.artifact_uri.startswith("mlflow-artifacts:")
    # No secret reached MLflow.
    secrets = [KEY, team_server.admin_password, journal_url.split(":")[2].split("@")[0]]
    secrets += [m["MLFLOW_TRACKING_PASSWORD"] for m in team_server.members.values()]
    for run in runs:
        blob = json.dumps([run.data.params, run.data.tags])
        assert not any(s in blob for s in secrets)

    # A third client, with an empty store of its own, sees the takes and fetches a file
    # (the other two are "on other machines": their files are not here).
    for other in homes:
        shutil.rmtree(other / "takes")
    carol = tmp_path / "carol"
    monkeypatch.setenv("TAKELAB_HOME", str(carol))
    for key, value in team_server.members["bob"].items():  # bob, on a third machine
        monkeypatch.setenv(key, value)
    listed = subprocess.run(
        [sys.executable, "-m", "takelab.cli", "takes", "--project", "team-test", "--format=json"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert {t.take_id for t in done} <= {row["take_id"] for row in json.loads(listed.stdout)}
    home = Home.from_env()
    video = local_video(home, done[0])
    assert video is not None and video.is_relative_to(carol)
    assert file_sha256(video) == done[0].sha256
    assert (video.parent / "preview.gif").is_file()
    # ...and Dailies' media links fetch the same way.
    from takelab.widgets._player import MediaLinks

    links = MediaLinks(home, jupyter=None)
    assert links.take_file(done[-1].take_id, "take.mp4") is not None
    assert (home.take_dir(done[-1].take_id) / "take.mp4").is_file()
    # `takelab doctor` here checks this machine's copies only: the takes made "elsewhere"
    # are not missing files, and nothing is written into the other clients' folders.
    from takelab.doctor.diagnose import doctor

    report = doctor(home)
    assert not [p for p in report.problems if p.kind in ("missing-file", "sha-mismatch")]
    assert not any((other / "takes").exists() for other in homes)


def test_a_team_journal_without_the_team_mlflow_is_refused_before_anything_runs(
    project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from takelab.cli import main

    monkeypatch.setenv("TAKELAB_JOURNAL_URL", "postgresql://takelab:pw@127.0.0.1:1/takelab")
    result = CliRunner().invoke(main, ["sweep", str(project_file)])
    assert result.exit_code == 2, result.output
    assert "MLFLOW_TRACKING_URI" in result.output and "Traceback" not in result.output


def test_add_member_prints_exports_a_shell_sources_without_running_anything(
    team_server: TeamServer, tmp_path: Path
) -> None:
    password = """it's a "$(touch PWNED)" `touch PWNED2` $HOME & pass"""
    done = team_server.admin("add-member", "carol", env={"TAKELAB_MEMBER_PASSWORD": password})
    assert done.returncode == 0, done.stderr
    assert "admin" not in done.stdout and team_server.admin_password not in done.stdout
    script = tmp_path / "env.sh"
    script.write_text(
        "source /dev/stdin\n"
        'printf "%s|%s|%s" "$MLFLOW_TRACKING_USERNAME" "$MLFLOW_TRACKING_PASSWORD"'
        ' "$TAKELAB_JOURNAL_URL"\n'
    )
    sourced = subprocess.run(
        ["bash", str(script)],
        input=done.stdout,
        capture_output=True,
        text=True,
        env={},
        cwd=tmp_path,
    )
    assert sourced.returncode == 0, sourced.stderr
    user, got, url = sourced.stdout.split("|")
    assert (user, got) == ("carol", password)
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()
    # The same password logs in to both servers: MLflow, and PostgreSQL through the URL.
    exp = "/api/2.0/mlflow/experiments/search?max_results=1"
    assert _get(team_server.tracking_uri + exp, auth=("carol", password)) == 200
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        assert conn.execute("SELECT session_user").fetchone() == ("carol",)
    # remove-member revokes both.
    gone = team_server.admin("remove-member", "carol")
    assert gone.returncode == 0, gone.stderr
    assert _get(team_server.tracking_uri + exp, auth=("carol", password)) == 401
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=10).close()
    bad = team_server.admin("add-member", "Robert'); DROP")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_team_commands_print_usage(team_server: TeamServer) -> None:
    import takelab.team.host as team

    assert team.main(["sideways"]) == 2
    assert team.main(["add-member"]) == 2


def test_the_mlflow_server_never_runs_as_root(
    team_server: TeamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from takelab.errors import TakelabError
    from takelab.team.host import _server_user
    from team_server import mlflow_user_can_run

    if not mlflow_user_can_run():
        # Root, and `nobody` cannot run this Python: team-up refuses rather than run the
        # server as root, unless TAKELAB_TEAM_MLFLOW_USER=root says so (as the fixture did).
        monkeypatch.delenv("TAKELAB_TEAM_MLFLOW_USER", raising=False)
        with pytest.raises(TakelabError, match="would run as root"):
            _server_user()
        return
    leader = int((team_server.root / "mlflow.pid").read_text())
    uids = set()
    for proc in Path("/proc").iterdir():
        try:
            session = (proc / "stat").read_text().rsplit(")", 1)[1].split()[3]
            status = (proc / "status").read_text()
        except (OSError, IndexError):
            continue
        if int(session) == leader and "python" in (proc / "cmdline").read_bytes().decode():
            uids.add(int(status.split("Uid:")[1].split()[0]))
    assert uids and 0 not in uids
