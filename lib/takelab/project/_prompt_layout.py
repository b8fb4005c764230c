"""How a variant becomes prompt text: the generic order, Veo's and OpenAI's published
prompt structures, and the labelled cues for beats, dialogue and sound."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from takelab.project.model import Beat, DialogueLine, Variant, VariantSettings

# What a generator's prompt should look like: its provider's published order of parts.
PromptStyle = Literal["plain", "veo", "openai"]


def _labelled(lead: str, fields: list[tuple[str, str | None]]) -> str:
    """The lead sentence, then one sentence per field that is set, each after its label."""
    parts = [_sentence(lead)]
    parts += [_sentence(f"{label}{value.strip()}") for label, value in fields if value]
    return " ".join(p for p in parts if p)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def render_fields(
    *,
    subject: str,
    secondary: str | None = None,
    action: str | None = None,
    camera: str | None = None,
    lighting: str | None = None,
    style: str | None = None,
) -> str:
    """Compose structured fields into prompt text: subject and action first, then scene,
    camera, light and style, the order video models weight best."""
    lead = subject.strip()
    if action:
        lead = f"{lead} {action.strip()}"
    return _labelled(
        lead,
        [
            ("In the scene, ", secondary),
            ("Camera: ", camera),
            ("Lighting: ", lighting),
            ("Style: ", style),
        ],
    )


def render_veo(
    *,
    subject: str,
    secondary: str | None = None,
    action: str | None = None,
    camera: str | None = None,
    lighting: str | None = None,
    style: str | None = None,
) -> str:
    """Veo's prompt guide order: subject, context, action, style, camera, composition,
    ambience (light and colour); sound cues follow in `compose_extras`."""
    return _labelled(
        subject,
        [
            ("Context: ", secondary),
            ("Action: ", action),
            ("Style: ", style),
            ("Camera: ", camera),
            ("Ambience: ", lighting),
        ],
    )


def render_openai(
    *,
    subject: str,
    secondary: str | None = None,
    action: str | None = None,
    camera: str | None = None,
    lighting: str | None = None,
    style: str | None = None,
) -> str:
    """OpenAI's (Sora 2) guide layout: prose first, then a cinematography block; the
    actions as beats and the dialogue follow in `compose_extras`."""
    prose = render_fields(subject=subject, secondary=secondary, action=action, style=style)
    shot = [f"Camera shot: {camera.strip()}"] if camera else []
    if lighting:
        shot.append(f"Lighting: {lighting.strip()}")
    return prose + ("\n\nCinematography:\n" + "\n".join(shot) if shot else "")


def _seconds(value: float) -> str:
    return f"{value:g}s"


def render_dialogue(lines: list[DialogueLine]) -> list[str]:
    """Each spoken line labelled and quoted, as the providers' guides ask:
    `Dialogue (at 2s): Mia says: "We're late."`."""
    out = []
    for d in lines:
        when = f" (at {_seconds(d.at)})" if d.at is not None else ""
        words = d.line.strip().replace('"', "'")
        out.append(f'Dialogue{when}: {d.speaker.strip()} says: "{words}"')
    return out


def render_beats(beats: list[Beat]) -> list[str]:
    """Each beat as `At 2s: the door opens (camera: push in)`."""
    out = []
    for b in sorted(beats, key=lambda b: b.at):
        camera = f" (camera: {b.camera.strip()})" if b.camera else ""
        out.append(f"At {_seconds(b.at)}: {b.action.strip().rstrip('.')}{camera}.")
    return out


def compose_extras(
    text: str, variant: Variant, settings: VariantSettings, style_of_prompt: PromptStyle
) -> str:
    """Append beats, dialogue and sound to a composed prompt, in the backend's structure.

    OpenAI's guide lays a prompt out in blocks (prose, cinematography, actions, dialogue);
    Veo and the rest read one paragraph with labelled cues. Nothing is added for a silent
    variant (`audio: false`), and a prompt without the new fields renders as it always did.
    """
    silent = settings.audio is False
    dialogue = [] if silent else render_dialogue(variant.dialogue)
    sound = None if silent or not settings.sound else settings.sound.strip()
    beats = render_beats(variant.beats)
    if style_of_prompt == "openai":
        blocks = [text]
        if beats:
            blocks.append("Actions:\n" + "\n".join(f"- {b}" for b in beats))
        if dialogue:
            blocks.append("Dialogue:\n" + "\n".join(f"- {d.split(': ', 1)[1]}" for d in dialogue))
        if sound:
            blocks.append(f"Sound: {_sentence(sound)}")
        return "\n\n".join(blocks)
    parts = [text, *beats, *dialogue]
    if sound:
        parts.append(_sentence(f"Sound: {sound}"))
    return " ".join(p for p in parts if p)
