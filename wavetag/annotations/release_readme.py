"""The README of a release bundle (``release.write_release``): what a person downloading the
dataset reads first: what is in it, the label schema, counts, how far the annotators
agreed, where it came from and under which licence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import translation

from wavetag.projects.schema_text import shown_schema

if TYPE_CHECKING:
    from .release import Release


def _num(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _schema(schema: dict[str, Any]) -> list[str]:
    # The README is English: a label given per language is shown by its English text.
    with translation.override("en"):
        schema = shown_schema(schema)
    lines = ["## Label schema", ""]
    if not schema["fields"]:
        lines.append("No form fields: each answer is a set of corrected beats.")
    for f in schema["fields"]:
        agreed = " (decides the final label)" if f["name"] in schema["agreement"] else ""
        lines.append(f"- `{f['name']}` ({f['type']}): {f['label']}{agreed}")
        for c in f.get("choices") or []:
            lines.append(f"  - `{c['value']}`: {c['label']}")
    return [*lines, ""]


def _agreement(stats: dict[str, Any]) -> list[str]:
    lines = ["## Agreement", ""]
    outcome = stats["agreed_without_adjudication"]
    lines.append(
        f"Tasks with every answer in: {outcome['tasks']}; settled by the annotators "
        f"without an adjudicator: {outcome['agreed']} (share {_num(outcome['share'])})."
    )
    lines.append("")
    if stats["fields"]:
        lines += [
            "| field | tasks | ratings | percent agreement | coefficient | value |",
            "|---|---|---|---|---|---|",
        ]
        for name, f in stats["fields"].items():
            lines.append(
                f"| {name} | {f['items']} | {f['ratings']} | {_num(f['percent_agreement'])} "
                f"| {f['coefficient']} | {_num(f['value'])} |"
            )
        lines.append("")
        for name, f in stats["fields"].items():
            for p in f["pairs"]:
                lines.append(
                    f"- {name}, {p['a']} vs {p['b']}: {p['shared']} tasks, agreement "
                    f"{_num(p['agreement'])}, Cohen's kappa {_num(p['cohen_kappa'])}"
                )
    beats = stats.get("beats")
    if beats:
        lines.append(f"Beat comparisons (150 ms matching window): {beats['compared']} tasks.")
        lines.append("")
        for p in beats["pairs"]:
            lines.append(
                f"- {p['a']} vs {p['b']}: {p['tasks']} tasks, Se {_num(p['sensitivity'])}, "
                f"+P {_num(p['ppv'])}, label agreement {_num(p['label_agreement'])}, "
                f"mean kappa {_num(p['kappa_mean'])}"
            )
        for name, a in beats["versus_final"]["annotators"].items():
            lines.append(
                f"- {name} against the final beats: {a['tasks']} tasks, Se "
                f"{_num(a['sensitivity'])}, +P {_num(a['ppv'])}"
            )
    return lines if lines[-1] == "" else [*lines, ""]


FILES = """\
## Files

- `RECORDS`: the records, one a line. Each record is `<name>.hea` + `<name>.dat` (WFDB):
  the digital samples and gains exactly as imported (`wfdb.rdrecord(name, physical=False)`
  gives them back). Header comments of the source files are not copied (they may identify
  patients or hold reference answers).
- `labels.csv`, `labels.json`: one row per task: `task`, `record`, `start` and `end`
  (seconds from the start of the record), `event` (the event time of event tasks),
  `status` (`open`, `conflict`, `agreed`, `adjudicated`), `decided_by` (`agreed`: every
  answer agreed, `majority`, `adjudicated`), `final_<field>` per field that decides the
  label, `answers` (submitted answers), `agreement` and `adjudicator`. `agreement` is the
  share of the submitted answers that give the final label; for a beat task, the beats
  both annotators of a pair give with the same label over the beats either gives,
  averaged over the pairs. Empty without a final label.
- `annotators/answers.csv`, `annotators/answers.json`: every submitted answer, by
  pseudonymous annotator id (`annotator-01`, ... in the order the accounts were made;
  adjudicators who gave no answer are `adjudicator-01`, ...). Free text (comments) is
  exported as written.
"""


def readme(release: Release, version: str) -> str:
    project = release.project
    lines = [f"# {project.name}: labelled {project.dataset.name} records", ""]
    if project.description:
        lines += [project.description, ""]
    lines += [
        FILES.rstrip("\n"),
    ]
    if release.annotation_files or any(".final" in n for n in release.notes):
        lines.append(
            "- `<record>.final`: the project's final beats of a record (WFDB annotation "
            "file: `wfdb.rdann(name, 'final')`); `annotators/<id>/<record>.task<task>`: each "
            "annotator's corrected beats of a task (`wfdb.rdann(path, 'task<task>')`)."
        )
    if release.with_names:
        lines.append("- `annotators/names.csv`: the user name behind each pseudonymous id.")
    lines += ["- `SHA256SUMS`: checksums of every other file: `sha256sum -c SHA256SUMS`.", ""]
    lines += _schema(project.schema)
    lines += [
        "## Counts",
        "",
        f"- records: {len(release.records)}",
        f"- tasks: {release.tasks}",
        f"- tasks with a final label: {release.final}",
        f"- submitted answers: {release.answers}",
        f"- annotators: {release.annotators}",
        "",
    ]
    lines += _agreement(release.agreement)
    lines += closing(project, release.notes, version, release.exported_at, release.licence)
    return "\n".join(lines)


def closing(
    project: Any, notes: list[str], version: str | None, exported_at: str, licence: str
) -> list[str]:
    """The README's last sections, the same in a bundle and an excerpt database: notes,
    provenance and licence."""
    dataset = project.dataset
    lines = ["## Notes", "", *[f"- {n}" for n in notes], ""] if notes else []
    lines += ["## Provenance", "", f"- source dataset: {dataset.name}"]
    if dataset.provenance:
        lines.append(f"- its records come from: {dataset.provenance}")
    if dataset.licence:
        lines.append(f"- the source records' licence: {dataset.licence}")
    lines += [
        f"- project: {project.name} ({project.template or 'custom schema'})",
        f"- exported by wavetag {version or 'unknown version'} at {exported_at}",
        "",
        "## Licence",
        "",
        licence,
        "",
    ]
    if dataset.licence and dataset.licence != licence:
        # A licence given for the labels does not change the records' own terms.
        lines += [f"The source records remain under their own licence: {dataset.licence}.", ""]
    return lines
