"""The tutorial's walkthroughs: which generated record each built-in template practises on,
the answer the tutorial expects, and the guide's steps in words.

A step names the control it talks about (a CSS selector the guide highlights) and what
the guide checks to know it was done (``check``: a name in ``static/web/tutorial/checks.js``;
empty for a step that is only read). The keys a step gives are the task page's: answer
keys come first there, so a viewer key a template's form takes is not offered, and the
step points to the toolbar instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wavetag.projects.beat_schema import is_beat_schema
from wavetag.signal.vocabulary import BEAT_NAMES

from .answers import answer_lines


@dataclass(frozen=True)
class Walkthrough:
    template: str
    record: str  # a record of ``records.tutorial``
    about: Any  # what the record is, without giving the answer away
    answer: dict[str, Any] = field(default_factory=dict)  # what the tutorial expects
    # Seconds from the record's alarm to the window's start, as an icu-alarm project's
    # tasks have it (window_before); None: the whole record, or ``window``.
    before_alarm: float | None = None
    window: tuple[float, float] | None = None  # a segment task's window


WALKTHROUGHS: dict[str, Walkthrough] = {
    w.template: w
    for w in (
        Walkthrough(
            "icu-alarm",
            "tutorial_icu",
            gettext_lazy(
                "A bedside monitor raised a ventricular tachycardia alarm at the red line. Read "
                "the ECG leads and the pressure and pleth waves before it: was it real?"
            ),
            {"decision": "True"},
            before_alarm=10.0,
        ),
        Walkthrough(
            "resting-12lead",
            "tutorial_12lead",
            gettext_lazy("A 10-s resting 12-lead ECG. List every diagnosis you see in the record."),
            {"diagnoses": ["pac", "pvc"]},
        ),
        Walkthrough(
            "wearable-rhythm",
            "tutorial_holter",
            gettext_lazy(
                "30 s of a 2-lead Holter recording (one segment of a longer record): grade the "
                "signal, then name the rhythm."
            ),
            {"quality": "A", "rhythm": "ventricular", "subcategory": "ventricular-bigeminy"},
            window=(30.0, 60.0),
        ),
        Walkthrough(
            "beat-correction",
            "tutorial_beats",
            gettext_lazy(
                "A 12-s 2-lead record whose beats a detector marked, with mistakes. Your own copy "
                "of its beats is open in the beat editor: correct it."
            ),
        ),
    )
}


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    text: SafeString
    target: str = ""
    check: str = ""


def _kbd(key: str) -> SafeString:
    return format_html("<kbd>{}</kbd>", key)


def taken_keys(schema: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The keys the answer form (and a beat task's editor) takes on a task page: always,
    and only once the parent of a dependent choice is chosen (key -> what it answers)."""
    always: dict[str, str] = {}
    later: dict[str, str] = {}
    for f in schema["fields"]:
        for c in f.get("choices", []) + f.get("grades", []):
            if "key" in c:
                (later if f.get("depends_on") else always).setdefault(c["key"], c["label"])
    if is_beat_schema(schema):
        for code in BEAT_NAMES:
            always.setdefault(code, _("the beat code %(code)s") % {"code": code})
    return always, later


def _viewer_key(key: str, what: str, instead: str, taken: dict[str, str]) -> SafeString:
    """``Press c (or the Caliper button)``, or why not and what to use on this page."""
    if key in taken:
        return format_html(
            _("Here {} answers “{}” (answer keys come first on a task page): {}."),
            _kbd(key),
            taken[key],
            instead,
        )
    return format_html(_("Press {} {} (or {})."), _kbd(key), what, instead)


def _channel_text(channels: list[str], always: dict[str, str], later: dict[str, str]) -> SafeString:
    free = [str(n) for n in range(1, min(9, len(channels)) + 1) if str(n) not in always]
    toolbar = _("the × on a channel's label, or untick it in the Channels menu")
    if not free:
        return format_html(_("Here the digits answer the form: use {}."), toolbar)
    n = free[0]
    text = format_html(
        _("Press a channel's number ({} hides {}; press it again to show it), or use {}."),
        _kbd(n),
        channels[int(n) - 1],
        toolbar,
    )
    if n in later:
        text = format_html(
            _(
                "{} Once a rhythm is chosen its subcategories take the digits: then use the "
                "label's ×."
            ),
            text,
        )
    return text


def _answer_text(schema: dict[str, Any]) -> SafeString:
    lines = []
    titles = {f["name"]: f["label"] for f in schema["fields"]}
    for f in schema["fields"]:
        if f.get("depends_on"):
            parent = titles.get(f["depends_on"], f["depends_on"])
            lines.append(
                format_html(_("{}: the keys of the group your {} opens"), f["label"], parent)
            )
            continue
        keys = [c["key"] for c in f.get("choices", []) if "key" in c]
        if not keys:
            continue
        line = format_html("{}: {}", f["label"], format_html_join(" ", "<kbd>{}</kbd>", keys))
        grades = [g for g in f.get("grades", []) if "key" in g]
        if grades:
            line = format_html(
                _("{}; then grade the item ticked last: {}"),
                line,
                format_html_join(
                    ", ", "<kbd>{}</kbd> {}", ((g["key"], g["label"]) for g in grades)
                ),
            )
        lines.append(line)
    items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    return format_html(
        _(
            "Each choice shows its key. Answer as you would on a task; Submit will compare your "
            "answer with the tutorial's.<ul>{}</ul>"
        ),
        items,
    )


def steps(walk: Walkthrough, schema: dict[str, Any], channels: list[str]) -> list[Step]:
    """The guide's steps for one walkthrough, in order."""
    beat = is_beat_schema(schema)
    always, later = taken_keys(schema)
    out = [
        Step(
            "intro",
            _("The task page"),
            format_html(
                _(
                    "{} This is a task page of the “{}” template as an annotator sees it: the "
                    "signal, and the answer form. Nothing you do here is saved to a project. "
                    "Go through the steps with Next and Back, or {} and {} (on a task page these "
                    "keys open the next and previous task)."
                ),
                walk.about,
                schema["title"],
                _kbd("Shift+→"),
                _kbd("Shift+←"),
            ),
        ),
        Step(
            "zoom",
            _("Zoom in"),
            format_html(
                _(
                    "{} {} zooms out and {} goes back to the paper speed (25 mm/s); the wheel "
                    "or a pinch zooms too."
                ),
                _viewer_key("+", _("to zoom in"), _("the zoom-in button"), always),
                _kbd("−"),
                _kbd("0"),
            ),
            target="[data-testid=zoom-in]",
            check="zoom",
        ),
        Step(
            "pan",
            _("Move along the signal"),
            format_html(
                _(
                    "Press {} or {} to move half a page (or the arrow buttons), {} / {} a whole "
                    "page. You can also drag the trace, or click the overview strip above it."
                ),
                _kbd("→"),
                _kbd("←"),
                _kbd("PgDn"),
                _kbd("PgUp"),
            ),
            target="[data-testid=pan-right]",
            check="pan",
        ),
        Step(
            "channel",
            _("Hide a channel"),
            _channel_text(channels, always, later),
            target='[data-action="channels"], .wt-chan',
            check="channel",
        ),
        Step(
            "filter",
            _("Turn the filters on"),
            format_html(
                _(
                    "{} They clean the display (baseline wander, mains notch, 40-Hz low-pass); "
                    "the samples and every measurement stay as recorded."
                ),
                _viewer_key(
                    "f",
                    _("to turn them on"),
                    _("open Filters in the toolbar and tick Filters on"),
                    always,
                ),
            ),
            target='[data-action="filter"]',
            check="filter",
        ),
        Step(
            "caliper",
            _("Measure an RR interval"),
            format_html(
                _(
                    "{}{} Then drag on a trace from one R peak to the next: the read-out gives "
                    "the interval in ms and the rate. {} puts a caliper in the middle of the view "
                    "(drag its ends onto two R peaks); {} clears them."
                ),
                format_html(
                    _(
                        "In the beat editor a drag selects beats: press {} to leave it first ({} "
                        "again brings it back). "
                    ),
                    _kbd("b"),
                    _kbd("b"),
                )
                if beat
                else "",
                _viewer_key("c", _("for caliper mode"), _("the Caliper button"), always),
                _kbd("Shift+C"),
                _kbd("Esc"),
            ),
            target="[data-testid=caliper]",
            check="caliper",
        ),
    ]
    if beat:
        out += [
            Step(
                "relabel",
                _("Correct a label"),
                format_html(
                    _(
                        "Press {} if the beat editor is off. One of the ventricular beats is "
                        "marked {}: click its marker (zoom in if need be), then press {}. "
                        "{} undoes an edit."
                    ),
                    _kbd("b"),
                    "N",
                    _kbd("V"),
                    _kbd("Ctrl+Z"),
                ),
                target="[data-testid=waveform]",
                check="relabel",
            ),
            Step(
                "add",
                _("Add a missing beat"),
                format_html(
                    _(
                        "One beat has no marker. Click the trace at its R peak: the beat lands on "
                        "the nearest peak, with the code shown in the editor's bar. Drag a marker "
                        "to move it; {} deletes the selection."
                    ),
                    _kbd("Del"),
                ),
                target="[data-testid=waveform]",
                check="add",
            ),
        ]
    out += [
        Step("answer", _("Answer with the keys"), _answer_text(schema), ".fields", "answer"),
        Step(
            "later",
            _("Save for later"),
            format_html(
                _(
                    "{} On a task page your answer is kept and the task stays in your batch{}; "
                    "here nothing is saved."
                ),
                format_html(
                    _("Use the Save for later button ({} is the beat code L here)."),
                    _kbd("Shift+L"),
                )
                if beat
                else format_html(_("Press {} (or Save for later)."), _kbd("Shift+L")),
                _(", your beats open for editing again") if beat else "",
            ),
            target="[data-testid=save-later]",
            check="later",
        ),
        Step(
            "submit",
            _("Submit"),
            format_html(
                _(
                    "Press {} (or Submit). On a task page this saves your answer and opens the "
                    "next unfinished task of your batch; once a task has all its answers they are "
                    "frozen and compared. Here you see what would be sent, and how it compares "
                    "with the tutorial's answer."
                ),
                _kbd("Enter"),
            ),
            target="[data-testid=submit]",
            check="submit",
        ),
        Step(
            "done",
            _("Done"),
            format_html(
                _(
                    "That is the whole task page. Press {} in the viewer for every viewer key; "
                    "try another template's walkthrough from the tutorial's index."
                ),
                _kbd("?"),
            ),
        ),
    ]
    return out


def expected(schema: dict[str, Any], walk: Walkthrough) -> list[dict[str, Any]]:
    """The tutorial's answer per field, in words, for the practice check."""
    words = dict(answer_lines(schema, walk.answer))
    out = []
    for f in schema["fields"]:
        if f["name"] not in walk.answer:
            continue
        value = walk.answer[f["name"]]
        values = value if isinstance(value, list) else [value]
        out.append(
            {"name": f["name"], "label": f["label"], "values": values, "text": words[f["label"]]}
        )
    return out
