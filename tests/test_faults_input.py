"""Issue 5, item 8: bad input.

Property tests feed `load_project` project files from near-valid YAML (the example files
in prompts/ with keys deleted, duplicated, renamed or retyped, lines re-indented, random
unicode, odd encodings) to random bytes: nothing but a `PromptFileError` with a line and a
hint may come out. Locally a few hundred examples run; in CI (`CI` set) 10,000 each,
derandomized. Then every `takelab` command is run with bad arguments: each exits non-zero
with a short error and never a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from takelab.cli import main
from takelab.errors import PromptFileError
from takelab.project.model import load_project

CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "faults-ci",
    max_examples=10_000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "faults-dev", max_examples=500, deadline=None, suppress_health_check=_QUIET
)
PROFILE = settings.get_profile("faults-ci" if CI else "faults-dev")

EXAMPLES = {
    p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "prompts").glob("*.yaml"))
}
ALL_LINES = sorted({line for text in EXAMPLES.values() for line in text.splitlines()})
KEY_LINE = re.compile(r"^(?P<lead>\s*(?:- )?)(?P<key>[^\s:#][^:#]*?):(?P<rest>\s.*|)$")
KNOWN_KEYS = sorted(
    {m.group("key") for line in ALL_LINES if (m := KEY_LINE.match(line))}
    | {"allow", "image", "cut", "allow_external_images"}
)
ODD_VALUES = st.sampled_from(
    [
        "",
        "~",
        "null",
        "true",
        "no",
        "0",
        "-1",
        "1e400",
        "-1e400",
        ".nan",
        ".inf",
        "0x1F",
        "0o17",
        "1_000",
        "12:30:00",
        "2024-02-30",
        "2001-12-14t21:59:43.10-05:00",
        "[]",
        "{}",
        "[a, [b, {c: d}]]",
        "{id: v1, prompt: x}",
        "&anchor x",
        "*anchor",
        "*nowhere",
        "!!binary aGVsbG8=",
        "!!python/object:os.system x",
        "!!int x",
        "!!float abc",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!custom x",
        "!!timestamp 2020-13-45",
        "|",
        ">-",
        "'unterminated",
        '"unterminated',
        '"\\x00"',
        '"\\ud800"',
        '"\\U0010FFFF"',
        "𝓤𝓷𝓲𝓬𝓸𝓭𝓮 ✨",
        "\u202egnirts lrt",
        "a" * 5000,
        "refs/street.png",
        "../../../etc/passwd",
        "/etc/hostname",
        "refs",
        "16/9",
        "720P",
        "[legible-text, nope]",
        "- a",
        "? complex",
        "<<: *anchor",
        "%YAML 1.1",
        "---",
        "...",
        "\t",
    ]
) | st.text(max_size=12).map(lambda t: t.replace("\n", " "))


# --- mutations of the example files -------------------------------------------------------


def _delete(lines: list[str], i: int, n: int) -> None:
    del lines[i : i + n]


def _duplicate(lines: list[str], i: int, n: int) -> None:
    lines[i:i] = lines[i : i + n]


def _swap(lines: list[str], i: int, n: int) -> None:
    j = min(len(lines) - 1, i + n)
    lines[i], lines[j] = lines[j], lines[i]


def _reindent(lines: list[str], i: int, n: int) -> None:
    body = lines[i].lstrip(" ")
    indent = len(lines[i]) - len(body)
    lines[i] = " " * max(0, indent + n - 3) + ("\t" if n == 7 else "") + body


MOVES: list[Callable[[list[str], int, int], None]] = [_delete, _duplicate, _swap, _reindent]


@st.composite
def near_valid(draw: st.DrawFn) -> bytes:
    """An example project file with one to four edits, encoded (usually) as UTF-8."""
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    lines = EXAMPLES[name].splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.integers(0, 8))
        m = KEY_LINE.match(lines[i])
        if kind <= 3:
            MOVES[kind](lines, i, draw(st.integers(1, 7)))
        elif kind == 4 and m:  # retype a value
            lines[i] = f"{m.group('lead')}{m.group('key')}: {draw(ODD_VALUES)}"
        elif kind == 5 and m:  # rename a key
            key = draw(st.sampled_from(KNOWN_KEYS) | st.text(min_size=1, max_size=8))
            lines[i] = f"{m.group('lead')}{key}:{m.group('rest')}"
        elif kind == 6:  # random unicode anywhere in a line
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.text(min_size=1, max_size=6)) + lines[i][at:]
        elif kind == 7:  # a line from any example, anywhere
            lines.insert(i, draw(st.sampled_from(ALL_LINES)))
        else:  # cut the file short
            lines = [*lines[:i], lines[i][: draw(st.integers(0, len(lines[i])))]]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n\n"]))
    encoding = draw(st.sampled_from(["utf-8"] * 16 + ["utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0 and data:  # a flipped byte, as a bad disk or copy makes
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of prompts/, so that `image: refs/street.png` resolves beside the fuzzed file."""
    root = tmp_path_factory.mktemp("fuzz") / "prompts"
    shutil.copytree(ROOT / "prompts", root)
    yield root


def only_prompt_file_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        load_project(path)
    except PromptFileError as err:
        # How far examples get, for --hypothesis-show-statistics.
        event("not UTF-8" if "UTF-8" in err.message else err.message.split(":")[0][:24])
        text = str(err)
        assert err.line is not None, text
        assert err.hint, text
        assert "internal error" not in err.message, text
        assert str(path) in text
    else:
        event("loads")


@pytest.mark.faults
@PROFILE
@given(data=near_valid())
def test_near_valid_project_files_raise_only_prompt_file_error(workdir: Path, data: bytes) -> None:
    only_prompt_file_errors(workdir / "fuzz.yaml", data)


@pytest.mark.faults
@PROFILE
@given(
    data=st.binary(max_size=2000)
    | st.text(max_size=400).map(str.encode)
    | st.lists(st.sampled_from(ALL_LINES), max_size=30).map(lambda ls: "\n".join(ls).encode())
)
def test_random_bytes_raise_only_prompt_file_error(workdir: Path, data: bytes) -> None:
    only_prompt_file_errors(workdir / "bytes.yaml", data)


# --- every command, bad arguments ---------------------------------------------------------

GOOD_FILE = "prompts/tokyo-rain.yaml"


def _good_value(arg: click.Argument) -> str:
    if isinstance(arg.type, click.Choice):
        return str(arg.type.choices[0])
    return GOOD_FILE if "file" in (arg.name or "") else "abc123"


def _bad_cases() -> Iterator[tuple[str, list[str]]]:
    """For each command: unknown option, missing arguments, nonexistent files, wrong types,
    out-of-range numbers and unknown choices, derived from the command's own parameters."""
    for name, command in sorted(main.commands.items()):
        args = [p for p in command.params if isinstance(p, click.Argument)]
        required = [_good_value(p) for p in args if p.required]
        yield name, [name, "--no-such-option"]
        if required:
            yield name, [name]
        if args and args[0].name in ("file", "files"):
            yield name, [name, "no/such/file.yaml"]
            yield name, [name, "prompts"]  # a directory
        for opt in command.params:
            if not isinstance(opt, click.Option) or opt.is_flag:
                continue
            flag = opt.opts[0]
            if isinstance(opt.type, click.Choice):
                yield name, [name, *required, flag, "no-such-choice"]
            if isinstance(opt.type, click.types._NumberParamTypeBase):
                yield name, [name, *required, flag, "many"]
                if isinstance(opt.type, click.types._NumberRangeBase) and opt.type.min is not None:
                    yield name, [name, *required, flag, str(opt.type.min - 1000)]
            elif opt.nargs == 1 and not opt.multiple:
                yield name, [name, *required, flag]  # an option without its value


# Bad values the parameter types cannot see, for the commands that take them.
SPECIFIC: list[tuple[str, list[str]]] = [
    ("lint", ["lint", GOOD_FILE, "--backend", "no-such-backend"]),
    ("lint", ["lint", GOOD_FILE, "--backend", "previz:no-such-model"]),
    ("estimate", ["estimate", GOOD_FILE, "--backend", "no-such-backend"]),
    ("estimate", ["estimate", GOOD_FILE, "--backend", ":"]),
    ("estimate", ["estimate", GOOD_FILE, "--shot", "no-such-shot"]),
    ("estimate", ["estimate", GOOD_FILE, "--variant", "no-slash"]),
    ("estimate", ["estimate", GOOD_FILE, "--variant", "street-walk/v9"]),
    ("sweep", ["sweep", GOOD_FILE, "--shot", "no-such-shot"]),
    ("sweep", ["sweep", GOOD_FILE, "--variant", "nope/v1"]),
    ("sweep", ["sweep", GOOD_FILE, "--backend", "no-such-backend"]),
    ("verdict", ["verdict", "abc123", "accept"]),
    ("verdict", ["verdict", "not-hex!", "reject", "--reason", "blurry"]),
    ("verdict", ["verdict", "abc123", "maybe"]),
    ("verdict", ["verdict", "abc123", "reject", "--reason", "no-such-reason"]),
    ("qa", ["qa", GOOD_FILE]),  # not a video
    ("qa", ["qa", "missing.mp4", "--size", "12"]),
    ("qa", ["qa", "missing.mp4", "--size", "0x0"]),
    ("resolve", ["resolve", "abc123"]),
    ("resolve", ["resolve", "abc123", "--lost", "--not-created"]),
    ("resolve", ["resolve", "abc123", "--lost"]),
    ("resolve", ["resolve", "abc123", "--resubmit", "--abandon"]),
    ("resolve", ["resolve", "abc123", "--abandon", "--yes"]),
    ("cut", ["cut", "no-such-project"]),
    ("cut", ["cut", "no/such/file.yaml"]),
    ("cut", ["cut", GOOD_FILE, "--out", "/proc/no/such/dir/cut.mp4"]),
    ("takelab", ["no-such-command"]),
    ("takelab", ["--no-such-option"]),
]
CASES = [*_bad_cases(), *((c, a) for c, a in SPECIFIC if c == "takelab" or c in main.commands)]


@pytest.mark.faults
def test_every_command_is_exercised() -> None:
    assert {c for c, _ in CASES} >= set(main.commands)


@pytest.mark.faults
@pytest.mark.parametrize(("command", "args"), CASES, ids=[" ".join(a) for _, a in CASES])
def test_bad_arguments_give_a_short_error_and_no_traceback(
    command: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args)
    output = result.output
    assert result.exit_code != 0, output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "usage"))]
    assert errors, output
    assert len(lines) <= 4, output
