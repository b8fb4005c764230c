"""The git filter that keeps notebook outputs out of git: `python -m takelab.nbclean` reads a
notebook on stdin and writes it without outputs, execution counts or the metadata that
running it in JupyterLab adds, so a notebook that was opened and run leaves `git status`
clean. `make setup` installs it (`make nb-filter`) as the `nbstripout` filter and the `ipynb`
diff driver named in `.gitattributes`.

It is nbstripout (cell ids kept: JupyterLab does not change them) plus one normalisation
nbstripout lacks: JupyterLab rewrites the kernelspec's display name and the language info
to those of the kernel it ran ("Python 3 (ipykernel)", the Python version...), which differ
between machines; the committed form is the plain one.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, TextIO

# What running a notebook adds besides outputs: nbstripout's own list, plus papermill's.
EXTRA_KEYS = [
    "metadata.signature",
    "metadata.widgets",
    "metadata.papermill",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
    "cell.metadata.papermill",
]
PYTHON_KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def clean(nb: Any) -> Any:
    """The notebook (an nbformat NotebookNode) as it is committed."""
    nbformat, nbstripout = _untyped("nbformat"), _untyped("nbstripout")
    nb = nbstripout.strip_output(
        nb, keep_output=False, keep_count=False, keep_id=True, extra_keys=EXTRA_KEYS
    )
    meta = nb.setdefault("metadata", nbformat.from_dict({}))
    kernel = meta.get("kernelspec")
    if kernel is not None and kernel.get("name") == "python3":
        meta["kernelspec"] = nbformat.from_dict(PYTHON_KERNEL)
    if "language_info" in meta:
        name = meta["language_info"].get("name", "python")
        meta["language_info"] = nbformat.from_dict({"name": name})
    return nb


def _untyped(module: str) -> Any:
    """nbformat and nbstripout ship no type information."""
    return importlib.import_module(module)


def clean_text(text: str) -> str:
    nbformat = _untyped("nbformat")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # e.g. missing cell ids
        return str(nbformat.writes(clean(nb))) + "\n"


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def refresh_git_index(path: str | Path) -> bool:
    """Tell git that a saved notebook is unchanged when only what the filter strips differs.

    Git reports a file whose size changed as modified without running the clean filter, so
    a notebook saved with outputs shows in `git status` even though its cleaned content is
    what the index holds. When the cleaned content is exactly the index's blob, re-adding
    the file stores nothing new and only refreshes git's record of its size and time; a
    notebook with real edits is left alone (never staged). Returns whether it refreshed."""
    path = Path(path).resolve()
    folder, name = path.parent, path.name
    staged = _git(folder, "ls-files", "--stage", "--", name)
    if not staged:
        return False  # not tracked, or not in git
    index_blob = staged.split()[1]
    cleaned = _git(folder, "hash-object", f"--path={name}", "--", name)
    if cleaned != index_blob:
        return False  # real edits (or no filter installed): for the person to commit
    return _git(folder, "add", "--", name) is not None


def post_save(os_path: str, **_: Any) -> None:
    """Jupyter's `ContentsManager.post_save_hook` (`make lab` sets it): a notebook saved
    after running leaves `git status` clean."""
    if os_path.endswith(".ipynb"):
        refresh_git_index(os_path)


def main(
    argv: list[str] | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    """Clean stdin to stdout (git's clean filter), or the file named as the one argument
    (git's diff textconv)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        with open(args[0], encoding="utf-8") as fh:
            text = fh.read()
    else:
        text = stdin.read()
    try:
        stdout.write(clean_text(text))
    except Exception as exc:  # not a notebook git can store cleanly: keep it as it is
        print(f"takelab.nbclean: left unchanged ({type(exc).__name__}: {exc})", file=sys.stderr)
        stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
