"""Team secrets are never readable by another user, not even while `team-up` first makes
the cluster; PostgreSQL lets in only the configured network (issue 20)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from ports import free_port
from takelab.team.config import TeamConfig
from takelab.team.postgres import hba_lines
from team_server import mlflow_user_can_run


def test_a_first_team_up_never_leaves_a_world_readable_secret() -> None:
    root = Path(tempfile.mkdtemp(prefix="takelab-team-"))
    root.chmod(0o755)  # reachable by the `postgres` user when the tests run as root
    env = {
        **os.environ,
        "TAKELAB_TEAM_DIR": str(root),
        "TAKELAB_TEAM_PORT": str(free_port()),
        "TAKELAB_PG_PORT": str(free_port()),
        "TAKELAB_TEAM_WORKERS": "1",
        "TAKELAB_ADMIN_PASSWORD": "first-start-admin-pw",
    }
    if not mlflow_user_can_run():
        env["TAKELAB_TEAM_MLFLOW_USER"] = "root"
    readable: dict[Path, str] = {}  # files another user's mode bits would let read
    private: dict[Path, int] = {}  # modes of what lies in the secret folders
    polls = 0
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "takelab.team", "up"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while proc.poll() is None:
            polls += 1
            found = [
                Path(top) / name
                for top, dirs, files in os.walk(root)  # a folder that vanishes is skipped
                for name in (*dirs, *files)
            ]
            for path in found:
                try:
                    st = path.lstat()
                except FileNotFoundError:
                    continue
                if path.parent.name in ("secrets",) or path.parent.name.startswith(".initdb"):
                    private[path] = stat.S_IMODE(st.st_mode)
                if path.name in ("secrets",) or path.name.startswith(".initdb"):
                    private[path] = stat.S_IMODE(st.st_mode)
                if stat.S_ISREG(st.st_mode) and st.st_mode & 0o044 and st.st_size < 65536:
                    try:
                        readable[path] = path.read_text(errors="replace")
                    except OSError:
                        continue
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        # team-up hands out no login: members get theirs from add-member.
        assert "PASSWORD" not in out and "first-start-admin-pw" not in out + err
        secrets = [p.read_text().strip() for p in (root / "secrets").iterdir()]
        assert len(secrets) >= 2 and polls > 3
        for path, text in readable.items():
            assert not any(s in text for s in secrets), f"{path} held a secret, mode readable"
            assert "first-start-admin-pw" not in text, path
        for path, mode in private.items():
            assert mode & 0o077 == 0, f"{path} was {oct(mode)}"
        assert not list(root.glob(".initdb*"))  # the password file is gone
    finally:
        subprocess.run([sys.executable, "-m", "takelab.team", "down"], env=env, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_pg_hba_admits_members_from_the_configured_network_only(tmp_path: Path) -> None:
    cfg = TeamConfig(root=tmp_path, host="10.1.2.3", network="10.1.2.0/24")
    rows = [line.split() for line in hba_lines(cfg).splitlines() if not line.startswith("#")]
    assert ["host", "takelab", "+takelab_member", "10.1.2.0/24", "scram-sha-256"] in rows
    assert all(r[0] == "host" and r[-1] == "scram-sha-256" for r in rows)
    assert not any("replication" in r or "0.0.0.0/0" in r for r in rows)
    superuser = [r for r in rows if "takelab,takelab_owner" in r]
    assert {r[3] for r in superuser} == {"127.0.0.1/32", "10.1.2.3/32"}
    loopback = hba_lines(TeamConfig(root=tmp_path))
    assert "+takelab_member  127.0.0.1/32" in loopback


def test_secrets_are_born_private_whatever_the_umask(tmp_path: Path) -> None:
    import pytest

    from takelab.team.config import private_dir, write_secret

    old = os.umask(0)  # a careless shell: files would be 0666 if made the usual way
    try:
        folder = private_dir(tmp_path / "secrets")
        write_secret(folder / "pw", "s3cret")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "pw").stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):  # never rewrites (or follows) what is there
        write_secret(folder / "pw", "other")
    (folder / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):
        write_secret(folder / "link", "other")
    assert not (tmp_path / "elsewhere").exists()
