"""Picking why a take is rejected: quick picks from the reason vocabulary (each with the fix
the learning loop suggests for it as a tooltip) and free text. A rejection needs one."""

from __future__ import annotations

from typing import Any

from takelab.review.learning import suggestion
from takelab.review.verdicts import reason_tags

NEED_REASON = (
    "pick a reason first (the quick picks above, or type one): a rejection without a reason "
    "teaches nothing, so nothing was recorded"
)


class ReasonPicker:
    """Toggle buttons for the reason tags and a free-text box."""

    def __init__(self, *, label: str = "<b>Why reject?</b>") -> None:
        import ipywidgets as w

        self.buttons = []
        for tag in reason_tags():
            button = w.ToggleButton(description=tag, layout=w.Layout(width="auto"))
            button.tooltip = f"try next: {suggestion(tag)}" if suggestion(tag) else tag
            self.buttons.append(button)
        self.text = w.Text(
            placeholder="or say it in your words (kept as the note)",
            layout=w.Layout(width="360px"),
        )
        self.text.add_class("takelab-reason-text")
        self.widget = w.VBox(
            [w.HTML(label), w.HBox(self.buttons, layout=w.Layout(flex_flow="row wrap")), self.text]
        )

    def pick(self, *tags: str) -> None:
        """Press the quick picks for `tags` (as a user would)."""
        for button in self.buttons:
            if button.description in tags:
                button.value = True

    def chosen(self) -> tuple[list[str], str]:
        """(reason tags, note). Free text alone counts as the reason `other`."""
        tags = [b.description for b in self.buttons if b.value]
        note = str(self.text.value).strip()
        if note and not tags:
            tags = ["other"]
        return tags, note

    @property
    def empty(self) -> bool:
        return not self.chosen()[0]

    def clear(self) -> None:
        for button in self.buttons:
            button.value = False
        self.text.value = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


__all__ = ["NEED_REASON", "ReasonPicker"]
