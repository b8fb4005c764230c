"""The A/B player: two to four takes side by side, playing in sync, with the word diff of
their prompts under the panes and a preference between the left and the right one.

Play, pause, scrub and the frame steps act on every pane at once (see `_sync`). With the
player focused, space plays, the arrows step a frame, and `a` / `b` / `s` say "left is
better" / "right is better" / "same". A preference goes to the journal and to both takes'
MLflow runs (`takelab.preferences`), and feeds `takelab rank` and Compare's ranking.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from takelab.home import Home
from takelab.journal.store import Journal, TakeRecord, TakeState
from takelab.widgets._common import esc, notice, project_id
from takelab.widgets._diffview import diff_html, short
from takelab.widgets._player import MediaLinks
from takelab.widgets._sync import SCOPE_CLASS, new_uid, synced_video_html, transport_output

LETTERS = "ABCD"
PREFER_KEYS = {"a": "takelab-key-a", "b": "takelab-key-b", "s": "takelab-key-s"}
WINNER_WORDS = {"a": "left is better", "b": "right is better", "same": "the same"}


def pane_caption(letter: str, record: TakeRecord) -> str:
    """What a pane says about its take: version, backend and seed first."""
    version = short(record.request.variant_hash or "?")
    return (
        f"<div class='takelab-pane-caption' style='line-height:1.4'><b>{letter}</b> · "
        f"{esc(record.shot)}/{esc(record.variant)} @ <code>{esc(version)}</code><br>"
        f"{esc(record.backend)}:{esc(record.model)} · seed {record.seed} · "
        f"${float(record.cost_usd or 0):.2f}</div>"
    )


def prompt_diffs(records: Sequence[TakeRecord]) -> str:
    """The word diff of the first take's prompt against each other's (the same prompt says so)."""
    from takelab.review.versions import word_diff

    first = records[0]
    parts = []
    for letter, other in zip(LETTERS[1:], records[1:], strict=False):
        title = f"prompt A → {letter}"
        if other.request.prompt == first.request.prompt:
            parts.append(
                f"<div><b>{title}</b>: the same prompt (only the seed or backend differ)</div>"
            )
        else:
            parts.append(
                diff_html(word_diff(first.request.prompt, other.request.prompt), title=title)
            )
    return "".join(parts)


class ABPlayer:
    """Takes side by side (ids or unique prefixes), in sync, with a preference for a pair."""

    def __init__(
        self,
        takes: Sequence[str],
        *,
        width: int | None = None,
        reviewer: str | None = None,
        home: Home | None = None,
        links: MediaLinks | None = None,
    ) -> None:
        import ipywidgets as w

        if not 2 <= len(takes) <= 4:
            raise ValueError(f"the A/B player shows 2 to 4 takes, got {len(takes)}")
        self.home = home or Home.from_env()
        self.links = links or MediaLinks(self.home)
        self.reviewer = reviewer or _user()
        journal = Journal(self.home.journal_url)
        self.records = [journal.find(t) for t in takes]
        if len({r.project for r in self.records}) > 1:
            raise ValueError("the takes belong to different projects; compare within one")
        self.uid = new_uid()
        width = width or (560 if len(takes) == 2 else 380 if len(takes) == 3 else 300)

        self.panes = [
            w.HTML(self._pane(letter, r, width))
            for letter, r in zip(LETTERS, self.records, strict=False)
        ]
        self.transport = transport_output(self.uid, keys=PREFER_KEYS)
        self.diff = w.HTML(prompt_diffs(self.records))
        letters = list(LETTERS[: len(self.records)])
        self.left = w.Dropdown(
            options=letters, value="A", description="left", layout=w.Layout(width="140px")
        )
        self.right = w.Dropdown(
            options=letters, value="B", description="right", layout=w.Layout(width="140px")
        )
        pair = [self.left, self.right] if len(letters) > 2 else []
        self.prefer_a = w.Button(description="Left is better (a)", icon="arrow-left")
        self.prefer_same = w.Button(description="Same (s)", icon="equals")
        self.prefer_b = w.Button(description="Right is better (b)", icon="arrow-right")
        for button, winner in (
            (self.prefer_a, "a"),
            (self.prefer_same, "same"),
            (self.prefer_b, "b"),
        ):
            button.layout = w.Layout(width="auto")
            button.add_class(PREFER_KEYS["s" if winner == "same" else winner])
            button.on_click(lambda _, winner=winner: self._guard(winner))
        self.reason = w.Text(placeholder="why (optional)", layout=w.Layout(width="320px"))
        self.status = w.HTML()
        self.widget = w.VBox(
            [
                w.HBox(self.panes, layout=w.Layout(gap="8px")),
                self.transport,
                self.diff,
                w.HBox([*pair, self.prefer_a, self.prefer_same, self.prefer_b, self.reason]),
                self.status,
            ]
        )
        self.widget.add_class(SCOPE_CLASS)
        self.widget.add_class("takelab-ab")

    def _pane(self, letter: str, record: TakeRecord, width: int) -> str:
        video = (
            self.links.take_file(record.take_id, "take.mp4")
            if record.state is TakeState.DONE
            else None
        )
        if video is None:
            body = f"<div style='width:{width}px'><i>no video file for this take</i></div>"
        else:
            body = synced_video_html(
                video, poster=self.links.take_file(record.take_id, "preview.gif"), width=width
            )
        caption = pane_caption(letter, record)
        return f"<div class='takelab-pane' data-take='{esc(record.take_id)}'>{body}{caption}</div>"

    def pair(self) -> tuple[TakeRecord, TakeRecord]:
        """The two takes a preference is about: the left and right picks (A and B at first)."""
        return (
            self.records[LETTERS.index(self.left.value)],
            self.records[LETTERS.index(self.right.value)],
        )

    def _guard(self, winner: str) -> None:
        try:
            self.prefer(winner)
        except Exception as exc:  # shown where the user looks
            self.status.value = notice(f"not saved: {esc(exc)}", kind="error")

    def prefer(self, winner: str) -> Any:
        """Record "a" (left is better), "b" (right is better) or "same" for the pair."""
        from takelab.review.preferences import record_preference

        left, right = self.pair()
        if left.take_id == right.take_id:
            self.status.value = notice("pick two different takes for left and right", kind="warn")
            return None
        reason = str(self.reason.value).strip() or None
        result = record_preference(
            left.take_id, right.take_id, winner, reason, reviewer=self.reviewer, home=self.home
        )
        where = (
            "journal and MLflow" if result.logged else "journal (MLflow unreachable: sync later)"
        )
        self.status.value = notice(
            f"saved: {self.left.value} vs {self.right.value}, {WINNER_WORDS[winner]}"
            + (f" ({esc(reason)})" if reason else "")
            + f", in the {where}",
            kind="ok" if result.logged else "warn",
        )
        self.reason.value = ""
        return result

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: preferences are anonymous
        return None


def pick_pair(
    project: str | Path, *, shot: str | None = None, home: Home | None = None
) -> list[str]:
    """Two takes worth comparing: the latest take of the two most recent versions of one
    shot (same backend and seed where possible), for a notebook's default A/B."""
    home = home or Home.from_env()
    if not home.has_journal:
        return []
    records = Journal(home.journal_url).takes(project=project_id(project), states=[TakeState.DONE])
    if shot is not None:
        records = [r for r in records if r.shot == shot]
    by_version: dict[str, TakeRecord] = {}
    for r in records:
        by_version.setdefault(f"{r.shot}/{r.variant}@{r.request.variant_hash}", r)
    firsts = list(by_version.values())
    if len(firsts) < 2:
        return [r.take_id for r in records[:2]]
    a = firsts[0]
    same_shot = [r for r in firsts[1:] if r.shot == a.shot] or firsts[1:]
    b = same_shot[0]
    match = next(
        (
            r
            for r in records
            if r.shot == b.shot
            and r.variant == b.variant
            and r.request.variant_hash == b.request.variant_hash
            and r.backend == a.backend
            and r.seed == a.seed
        ),
        b,
    )
    return [a.take_id, match.take_id]


def side_by_side(
    project: str | Path,
    takes: Sequence[str] = (),
    *,
    shot: str | None = None,
    home: Home | None = None,
) -> Any:
    """An A/B player for `takes`, or for two versions of one shot picked from the project
    (`pick_pair`); with fewer than two finished takes, a sentence saying what to do."""
    import ipywidgets as w

    chosen = list(takes) or pick_pair(project, shot=shot, home=home)
    if len(chosen) < 2:
        return w.HTML(
            notice(
                f"Fewer than two finished takes of <b>{esc(project_id(project))}</b>"
                " to put side by side. Run a sweep or Generate in the Studio, then rerun this cell."
            )
        )
    return ABPlayer(chosen, home=home)


__all__ = ["ABPlayer", "pane_caption", "pick_pair", "prompt_diffs", "side_by_side"]
