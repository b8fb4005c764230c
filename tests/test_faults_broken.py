"""Issue 19: broken state and hostile input. A full disk on a real small filesystem (a
tmpfs mounted for the test) must not hide a paid job id; a damaged journal gets a
one-line error from every command and is rebuilt by `doctor`; TAKELAB_JOURNAL_URL takes
only a postgresql:// URL or a .sqlite path; the widgets' file server serves the takes
folder and nothing else; project files are size-limited and every path in them, the
cut section's included, stays inside the project's folder.
"""

from __future__ import annotations

import errno
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT
from fakes.hostile_fake import HostileRunway
from provider_keys import KEY_VARS, walk_project
from takelab.doctor.diagnose import doctor
from takelab.errors import PromptFileError
from takelab.home import Home
from takelab.journal.store import Journal, TakeState
from takelab.project.model import load_project
from takelab.sweep.run import run_sweep


def takelab(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "takelab", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Traceback" not in output, output
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    return lines[0]


# -- a full disk ----------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs of its own (needs root; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write one file until the filesystem refuses another byte; the file."""
    filler = folder / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.mark.faults
def test_a_full_disk_never_hides_a_paid_job_id(
    tiny_disk: Path,
    takelab_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    home_dir = tiny_disk / "home"
    home_dir.mkdir()
    shutil.copy(takelab_home / "mlflow.db", home_dir / "mlflow.db")
    monkeypatch.setenv("TAKELAB_HOME", str(home_dir))
    monkeypatch.chdir(tmp_path)
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    project = walk_project(tmp_path / "proj", "hostile")
    with HostileRunway("plain-disk-key-1").running() as fake:
        monkeypatch.setenv("RUNWAYML_API_SECRET", fake.key)
        monkeypatch.setenv("RUNWAYML_BASE_URL", fake.url)
        monkeypatch.setenv("TAKELAB_POLL_INTERVAL_S", "0.01")
        fake.before_create = lambda: fill(tiny_disk) and None
        try:
            result = run_sweep(project, backends=["runway"], progress=False)
            statuses = [o.status for o in result.outcomes]
            assert statuses == ["error"], statuses
        except sqlite3.OperationalError:
            pass  # the sweep cannot finish on a full disk; the job id must survive anyway
        assert fake.creates == 1
        (job_id,) = fake.tasks
        printed = capfd.readouterr().err
        assert job_id in printed and "takelab doctor" in printed  # on stderr...
        home = Home.from_env()
        assert job_id in (home.root / "lost-jobs.jsonl").read_text()  # ...and beside it
        (tiny_disk / "filler").unlink()  # the user frees the disk

        report = doctor()
        assert any(p.kind == "lost-job-id" and p.repaired for p in report.problems), report
        assert not (home.root / "lost-jobs.jsonl").exists()
        records = Journal(home.journal).takes()
        assert [(r.state, r.job_id) for r in records] == [(TakeState.SUBMITTED, job_id)]
        again = run_sweep(project, backends=["runway"], progress=False)
        assert [o.status for o in again.outcomes] == ["done"]
        assert fake.creates == 1  # resumed by its id: never paid twice


# -- a damaged journal ----------------------------------------------------------------


@pytest.mark.faults
def test_a_damaged_journal_gets_one_line_errors_and_doctor_rebuilds_it(
    project_file: Path,
) -> None:
    from takelab.review.verdicts import record_verdict

    result = run_sweep(project_file, seeds=1, progress=False)
    done = sorted(o.take_id for o in result.outcomes if o.status == "done")
    assert len(done) == 4
    record_verdict(done[0], "accept", note="the keeper")
    record_verdict(done[1], "reject", ["blurry"])
    home = Home.from_env()
    for suffix in ("-wal", "-shm"):
        Path(f"{home.journal}{suffix}").unlink(missing_ok=True)
    home.journal.write_bytes(b"this is not a database, it was overwritten\n" * 200)

    for command in ("takes", "sync"):
        line = one_line_error(takelab(command))
        assert "damaged" in line and "takelab doctor" in line, line
    dry = takelab("doctor", "--dry-run")
    assert dry.returncode == 1 and "damaged-journal" in dry.stdout, dry.stdout + dry.stderr
    assert "Traceback" not in dry.stdout + dry.stderr

    stray = home.takes / "deadbeefdeadbeef"  # a folder that cannot be rebuilt: no request
    stray.mkdir()
    (stray / "take.mp4").write_bytes(b"\0" * 100)
    fixed = takelab("doctor", "--format", "json")
    assert "Traceback" not in fixed.stdout + fixed.stderr, fixed.stderr
    problems = {(p["kind"], p["subject"]) for p in json.loads(fixed.stdout)}
    assert ("not-recovered", str(stray)) in problems  # says what it could not recover
    assert any(kind == "damaged-journal" for kind, _ in problems)
    assert list(home.root.glob("journal.sqlite.damaged-*")), "the damaged file was kept aside"
    journal = Journal(home.journal)
    rebuilt = {t.take_id: t for t in journal.takes()}
    assert sorted(rebuilt) == done
    assert all(t.state is TakeState.DONE and t.sha256 for t in rebuilt.values())
    verdicts = journal.latest_verdicts()
    assert verdicts[done[0]].verdict == "accept" and verdicts[done[0]].note == "the keeper"
    assert verdicts[done[1]].reasons == ["blurry"]
    again = run_sweep(project_file, seeds=1, progress=False)
    assert sorted(o.status for o in again.outcomes) == ["cached"] * 4  # nothing paid twice
    assert takelab("takes").returncode == 0


@pytest.mark.faults
def test_a_libpq_keyword_string_is_refused_without_showing_the_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    password = "s3cret-Passw0rd-xyz"
    monkeypatch.setenv("TAKELAB_JOURNAL_URL", f"host=127.0.0.1 user=takelab password={password}")
    work = tmp_path / "work"
    work.mkdir()
    proc = takelab("takes", cwd=work)
    line = one_line_error(proc)
    assert proc.returncode == 2 and "libpq" in line
    assert password not in proc.stdout + proc.stderr
    assert list(work.iterdir()) == []  # no private journal named after the password
    assert not Home.from_env().journal.exists()


# -- the widgets' file server ---------------------------------------------------------


def raw_get(port: int, target: bytes, host: bytes = b"127.0.0.1") -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n"
        sock.sendall(head + b"\r\n")
        reply = sock.recv(4096)
    return int(reply.split(b" ", 2)[1])


@pytest.mark.faults
def test_the_file_server_serves_the_takes_folder_and_nothing_else(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from takelab.widgets._player import TakeFileServer

    root = tmp_path / "takes"
    (root / "abc").mkdir(parents=True)
    (root / "abc" / "take.mp4").write_bytes(b"video")
    (root / ".env").write_text("SECRET=1")
    (root / "abc" / ".hidden.mp4").write_bytes(b"hidden")
    (tmp_path / "outside.txt").write_text("outside")
    (root / "abc" / "escape.mp4").symlink_to(tmp_path / "outside.txt")
    (root / "passwd").symlink_to("/etc/passwd")
    server = TakeFileServer(root)
    try:
        port = server.port
        assert raw_get(port, b"/abc/take.mp4") == 200
        assert raw_get(port, b"/abc/take.mp4", b"localhost:%d" % port) == 200
        assert raw_get(port, b"/passwd") == 404
        assert raw_get(port, b"/abc/escape.mp4") == 404
        assert raw_get(port, b"/.env") == 404
        assert raw_get(port, b"/abc/.hidden.mp4") == 404
        assert raw_get(port, b"/abc/../../outside.txt") == 404
        assert raw_get(port, b"/abc/%2e%2e/%2e%2e/outside.txt") == 404
        assert raw_get(port, b"/abc/take.mp4", b"attacker.example") == 403  # DNS rebinding
        assert raw_get(port, b"/abc/take.mp4", b"127.0.0.1.evil.example:80") == 403
        assert raw_get(port, b"/abc/take%00.mp4") == 400
        assert raw_get(port, b"/abc/take\x00.mp4") == 400
        assert raw_get(port, b"/abc/%ff%fe.mp4") == 400
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", server.url(root / "abc" / "take.mp4").split(str(port))[1])
        assert conn.getresponse().read() == b"video"
    finally:
        server.close()
    assert "Traceback" not in capfd.readouterr().err


# -- input limits ---------------------------------------------------------------------


@pytest.mark.faults
def test_a_huge_project_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = walk_project(tmp_path, "huge")
    path.write_text(path.read_text() + ("# padding\n" * 150_000))  # 1.5 MB
    with pytest.raises(PromptFileError) as info:
        load_project(path)
    assert "limit" in str(info.value) and "TAKELAB_MAX_PROJECT_BYTES" in str(info.value)


CUT_HEAD = """\
project: mini
defaults:
  duration: 2
  resolution: 480p
shots:
  - id: walk
    variants:
      - id: v1
        prompt: A woman walks toward the camera at night, slow dolly back, neon light
"""


@pytest.mark.faults
@pytest.mark.parametrize(
    "cut",
    [
        "cut:\n  audio: ../outside/bed.wav\n",
        "cut:\n  audio: {file: OUTSIDE/bed.wav}\n",
        "cut:\n  grade: {lut: link.cube}\n",
        "cut:\n  credentials: {cert: OUTSIDE/chain.pem, key: certs/key.pem}\n",
        'cut:\n  title: {text: Hi, style: {font: "../outside/font.ttf"}}\n',
    ],
)
def test_every_path_in_the_cut_section_stays_inside_the_project_folder(
    tmp_path: Path, cut: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in ("bed.wav", "chain.pem", "font.ttf"):
        (outside / name).write_bytes(b"x")
    (outside / "look.cube").write_text("LUT_3D_SIZE 2\n" + "0 0 0\n" * 8)
    folder = tmp_path / "proj"
    (folder / "certs").mkdir(parents=True)
    (folder / "certs" / "key.pem").write_text("k")
    (folder / "link.cube").symlink_to(outside / "look.cube")
    path = folder / "mini.yaml"
    path.write_text(CUT_HEAD + textwrap.dedent(cut).replace("OUTSIDE", str(outside)))
    with pytest.raises(PromptFileError) as info:
        load_project(path)
    assert "outside the project file's folder" in str(info.value), str(info.value)
    assert info.value.line is not None
    # The same file is accepted where the project says external files are allowed.
    path.write_text("allow_external_images: true\n" + path.read_text())
    load_project(path)
