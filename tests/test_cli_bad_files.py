"""Every malformed project file: one line naming file and line, exit code 2, nothing made."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from takelab.cli import main

HEAD = "project: p\nshots:\n  - id: s\n    variants:\n      - id: v\n"
GOOD_VARIANT = "        prompt: a cat walks across a sunlit room, slow pan left\n"

# (case, file text or bytes, expected line)
CASES: list[tuple[str, str | bytes, int]] = [
    ("yaml-syntax", HEAD + '        prompt: "unclosed\n        camera: x\n', 6),
    ("unknown-key", HEAD + GOOD_VARIANT + "        durration: 5\n", 7),
    (
        "duplicate-shot",
        HEAD + GOOD_VARIANT + "  - id: s\n    variants:\n      - id: v\n" + GOOD_VARIANT,
        7,
    ),
    ("duplicate-variant", HEAD + GOOD_VARIANT + "      - id: v\n" + GOOD_VARIANT, 7),
    ("prompt-and-fields", HEAD + GOOD_VARIANT + "        subject: a cat\n", 7),
    ("no-subject", HEAD + "        action: walks\n        camera: pan\n", 5),
    ("wrong-type", HEAD + GOOD_VARIANT + "        duration: ten\n", 7),
    ("duration-not-positive", HEAD + GOOD_VARIANT + "        duration: -3\n", 7),
    ("duration-too-long", HEAD + GOOD_VARIANT + "        duration: 601\n", 7),
    ("unknown-aspect", HEAD + GOOD_VARIANT + '        aspect: "5:4"\n', 7),
    ("unknown-resolution", HEAD + GOOD_VARIANT + "        resolution: 720i\n", 7),
    ("missing-image", HEAD + GOOD_VARIANT + "        image: refs/none.png\n", 7),
    ("non-utf8", (HEAD + GOOD_VARIANT).encode() + b"        negative: caf\xe9\n", 7),
    ("empty", "", 1),
    ("not-a-slug", HEAD.replace("id: s\n", "id: Street Walk\n") + GOOD_VARIANT, 3),
]


@pytest.mark.parametrize(("case", "content", "line"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", ["lint", "sweep"])
def test_malformed_file(
    tmp_path: Path, takelab_home: Path, case: str, content: str | bytes, line: int, command: str
) -> None:
    f = tmp_path / f"{case}.yaml"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content)
    result = CliRunner().invoke(main, [command, str(f)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    if case == "empty":
        assert str(f) in lines[0]
    else:
        assert f"{f}:{line}" in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert not (takelab_home / "takes").exists() or not any((takelab_home / "takes").iterdir())
    assert not (takelab_home / "sweeps").exists() or not any((takelab_home / "sweeps").iterdir())
