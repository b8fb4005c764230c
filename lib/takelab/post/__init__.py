"""From kept takes to a finished piece: the cut.

`make_cut` is the entry point (the `takelab cut` command and `05_cut.ipynb` call it).
Its parts, one concept each: `select` (which take per shot), `layout` (the cut in
frames), `render` (moviepy), `grade` and `text` (what render draws), `timeline` (OTIO and
its adapters) and `credentials` (C2PA). Importing this package imports none of moviepy,
OpenTimelineIO or c2pa; each is imported where it is used.
"""

from takelab.post.cut import CutResult, make_cut, resolve_project_file
from takelab.post.select import CutError, SelectedTake, accepted_takes, select_takes

__all__ = [
    "CutError",
    "CutResult",
    "SelectedTake",
    "accepted_takes",
    "make_cut",
    "resolve_project_file",
    "select_takes",
]
