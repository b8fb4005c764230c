"""Fail if a committed notebook has outputs or execution counts (they must be cleared)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dirty(path: Path) -> list[int]:
    nb = json.loads(path.read_text())
    return [
        i
        for i, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def main(folders: list[str]) -> int:
    bad = 0
    for folder in folders:
        for path in sorted(Path(folder).glob("*.ipynb")):
            cells = dirty(path)
            if cells:
                bad += 1
                print(f"{path}: cells {cells} have outputs; clear them before committing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["notebooks"]))
