"""wavetag project create NAME --dataset D --template T [...] | settings | add-member |
remove-member | team | list | schema PROJECT [FILE] | make-tasks | release"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wavetag.annotations.batches import release
from wavetag.annotations.changes import change_settings, remove_member, replace_schema
from wavetag.errors import StateConflict, WavetagError
from wavetag.projects.models import MAX_ANNOTATORS, ConflictPolicy, Role, Task
from wavetag.projects.schemas import SEGMENT_SECONDS, template_names
from wavetag.projects.services import (
    add_member,
    create_project,
    find_project,
    find_user,
)
from wavetag.projects.tasks import make_tasks
from wavetag.projects.teams import (
    add_to_team,
    create_team,
    find_team,
    list_teams,
    remove_from_team,
    without_team,
)


def _settings(opts: dict[str, Any]) -> dict[str, Any]:
    """The plain settings given on the command line (left out: not given)."""
    out: dict[str, Any] = {}
    for name in ("reveal_outcome", "leaderboard_anonymous", "machine_suggestions", "open"):
        if opts[name] is not None:
            out[name] = opts[name] == "yes"
    for name in ("practice_size", "practice_pass", "gold_rate"):
        if opts[name] is not None:
            out[name] = opts[name]
    return out


def _selection(opts: dict[str, Any]) -> dict[str, Any] | None:
    given = {
        "pattern": opts["records"],
        "annotation_set": opts["records_with_set"],
        "sample": opts["sample"],
        "seed": opts["seed"],
    }
    return {k: v for k, v in given.items() if v is not None} or None


def _read_schema(what: str, name: str) -> Any:
    path = Path(name)
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise CommandError(f"{what}: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CommandError(f"{what}: {path} is not valid JSON ({exc})") from None


@contextmanager
def _last_admin_hint() -> Iterator[None]:
    try:
        yield
    except StateConflict as exc:
        raise CommandError(f"{exc} (or pass --allow-no-admin)") from None


class Command(BaseCommand):
    help = "Create annotation projects and manage their members."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a project and make its tasks")
        create.add_argument("name")
        create.add_argument("--dataset", required=True, help="dataset name")
        kind = create.add_mutually_exclusive_group(required=True)
        kind.add_argument("--template", help=f"built-in schema: {', '.join(template_names())}")
        kind.add_argument("--schema", metavar="FILE", help="custom schema as a JSON file")
        create.add_argument(
            "--annotators-per-task", type=int, help=f"k, 1 to {MAX_ANNOTATORS} (default 2)"
        )
        create.add_argument("--batch-size", type=int, help="tasks per claimed batch (10)")
        create.add_argument("--event-at", type=float, metavar="SEC", help="one event at SEC")
        create.add_argument("--event-set", default="", help="annotation set holding events")
        create.add_argument(
            "--event-match", default="", help="only events whose symbol or note starts so"
        )
        create.add_argument(
            "--segment-seconds", type=int, choices=SEGMENT_SECONDS, help="segment length"
        )
        create.add_argument("--window-before", type=float, metavar="SEC")
        create.add_argument("--window-after", type=float, metavar="SEC")
        create.add_argument(
            "--not-blind", action="store_true", help="annotators may see imported sets"
        )
        create.add_argument(
            "--visible-set",
            action="append",
            default=[],
            metavar="NAME",
            help="an imported annotation set annotators may see (repeatable)",
        )
        create.add_argument("--description", default="")
        create.add_argument("--records", metavar="GLOB", help="only records named so (1??, v1*)")
        create.add_argument(
            "--records-with-set", metavar="SET", help="only records with this annotation set"
        )
        create.add_argument("--sample", type=int, metavar="N", help="N records drawn at random")
        create.add_argument("--seed", type=int, help="the draw's seed (printed when not given)")
        settings = sub.add_parser(
            "settings", help="show a project's workflow settings, or change them"
        )
        settings.add_argument("project")
        for action in (create, settings):
            action.add_argument(
                "--conflict-policy",
                choices=ConflictPolicy.values,
                help="answers that disagree go to an adjudicator (adjudicate, the default), "
                "or to one more annotator at a time until a strict majority agrees (reenter)",
            )
            action.add_argument(
                "--max-annotators",
                type=int,
                metavar="N",
                help="reenter: with N answers and no majority, an adjudicator decides",
            )
            action.add_argument(
                "--reveal-outcome",
                choices=("yes", "no"),
                help="show a final task's label to its annotators (default no)",
            )
            action.add_argument(
                "--practice-size",
                type=int,
                metavar="N",
                help="annotators pass a practice test of N gold tasks before claiming (0: none)",
            )
            action.add_argument(
                "--practice-pass", type=int, metavar="P", help="percent correct to pass (80)"
            )
            action.add_argument(
                "--gold-rate",
                type=int,
                metavar="P",
                help="percent of each batch drawn from hidden gold tasks (0)",
            )
            action.add_argument(
                "--leaderboard-anonymous",
                choices=("yes", "no"),
                help="the leaderboard shows ranks without names",
            )
            action.add_argument(
                "--machine-suggestions",
                choices=("yes", "no"),
                help="diagnosis forms start from the automatic 12-lead statements, marked as "
                "machine suggestions (default no)",
            )
            action.add_argument(
                "--open",
                choices=("yes", "no"),
                help="list the project in the catalogue: anyone signed in may join as "
                "annotator (default no)",
            )
        gold = sub.add_parser(
            "gold", help="give tasks gold answers from FILE (CSV or JSON), or list them"
        )
        gold.add_argument("project")
        gold.add_argument("file", nargs="?", metavar="FILE")
        member = sub.add_parser("add-member", help="add a member, or change their role")
        member.add_argument("project")
        member.add_argument("username")
        member.add_argument("--role", required=True, choices=Role.values)
        remove = sub.add_parser("remove-member", help="remove a member (answers stay)")
        remove.add_argument("project")
        remove.add_argument("username")
        for action in (member, remove):
            action.add_argument(
                "--allow-no-admin",
                action="store_true",
                help="even if this takes the project's last admin away",
            )
        team = sub.add_parser(
            "team", help="teams: each task's annotators and adjudicator come from one team"
        )
        team.add_argument("project")
        team_sub = team.add_subparsers(dest="team_action", required=True)
        team_sub.add_parser("create", help="create a team").add_argument("name")
        for verb, text in (("add", "put a member in a team"), ("remove", "take them out")):
            parser_ = team_sub.add_parser(verb, help=text)
            parser_.add_argument("name")
            parser_.add_argument("username")
        team_sub.add_parser("list", help="list the teams and their members")
        sub.add_parser("list", help="list projects")
        schema = sub.add_parser(
            "schema", help="print the label schema, or replace it from FILE (before any answer)"
        )
        schema.add_argument("project")
        schema.add_argument("file", nargs="?", metavar="FILE", help="a custom schema as JSON")
        tasks = sub.add_parser("make-tasks", help="add tasks for records imported since")
        tasks.add_argument("project")
        rel = sub.add_parser("release", help="release unfinished assignments")
        rel.add_argument("project")
        rel.add_argument("--user", help="only this annotator's")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except WavetagError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, opts: dict[str, Any]) -> None:
        schema = _read_schema("--schema", opts["schema"]) if opts["schema"] else None
        project = create_project(
            opts["name"],
            opts["dataset"],
            template=opts["template"],
            schema=schema,
            annotators_per_task=opts["annotators_per_task"],
            batch_size=opts["batch_size"],
            blind=not opts["not_blind"],
            window_before=opts["window_before"],
            window_after=opts["window_after"],
            event_at=opts["event_at"],
            event_set=opts["event_set"],
            event_match=opts["event_match"],
            segment_seconds=opts["segment_seconds"],
            visible_sets=opts["visible_set"],
            description=opts["description"],
            conflict_policy=opts["conflict_policy"] or ConflictPolicy.ADJUDICATE,
            max_annotators=opts["max_annotators"],
            records=_selection(opts),
            **_settings(opts),
        )
        n = Task.objects.filter(project=project).count()
        self.stdout.write(
            f"created project {project.name} (id {project.pk}): {project.template} on "
            f"{project.dataset.name}, {n} task{'s' if n != 1 else ''}, "
            f"{project.annotators_per_task} annotators per task"
        )
        if "seed" in project.record_selection:
            selection = project.record_selection
            self.stdout.write(
                f"records drawn with seed {selection['seed']}: {', '.join(selection['records'])}"
            )
        self._show_settings(project)

    def _settings(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        changes: dict[str, Any] = _settings(opts)
        if opts["conflict_policy"] is not None:
            changes["conflict_policy"] = opts["conflict_policy"]
        if opts["max_annotators"] is not None:
            changes["max_annotators"] = opts["max_annotators"]
        if changes:
            project = change_settings(project, changes)
        self._show_settings(project)

    def _show_settings(self, project: Any) -> None:
        practice = (
            f"a practice test of {project.practice_size} tasks passed at {project.practice_pass}%"
            if project.practice_size
            else "no practice test"
        )
        self.stdout.write(
            f"conflict policy {project.conflict_policy}, at most {project.max_annotators} "
            f"annotators per task, outcome {'shown' if project.reveal_outcome else 'hidden'} "
            f"to annotators, {practice}, {project.gold_rate}% hidden gold, machine "
            f"suggestions {'on' if project.machine_suggestions else 'off'}, "
            f"{'open to anyone signed in' if project.open else 'members by invitation only'}"
        )

    def _gold(self, opts: dict[str, Any]) -> None:
        from wavetag.annotations.gold import gold_file_items, gold_rows, save_gold

        project = find_project(opts["project"])
        if opts["file"] is not None:
            save_gold(project, {"items": gold_file_items(project, Path(opts["file"]))})
        rows = gold_rows(project)
        for row in rows:
            self.stdout.write(f"{row['task']}\t{row['record']}\t{json.dumps(row['answer'])}")
        self.stdout.write(
            f"{len(rows)} gold answer{'s' if len(rows) != 1 else ''} in {project.name}"
        )

    def _add_member(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        user = find_user(opts["username"])
        with _last_admin_hint():
            add_member(project, user, opts["role"], allow_no_admin=opts["allow_no_admin"])
        self.stdout.write(f"{user.get_username()} is {opts['role']} of {project.name}")

    def _remove_member(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        user = find_user(opts["username"])
        with _last_admin_hint():
            removed = remove_member(project, user, allow_no_admin=opts["allow_no_admin"])
        if not removed:
            raise CommandError(f"{user.get_username()} is not a member of {project.name}")
        self.stdout.write(f"{user.get_username()} removed from {project.name}")

    def _team(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        action = opts["team_action"]
        if action == "create":
            team = create_team(project, opts["name"])
            self.stdout.write(f"created team {team.name} in {project.name}")
        elif action == "add":
            team = find_team(project, opts["name"])
            user = find_user(opts["username"])
            add_to_team(team, user)
            self.stdout.write(f"{user.get_username()} is in team {team.name} of {project.name}")
        elif action == "remove":
            team = find_team(project, opts["name"])
            user = find_user(opts["username"])
            if not remove_from_team(team, user):
                raise CommandError(f"{user.get_username()} is not in team {team.name}")
            self.stdout.write(f"{user.get_username()} removed from team {team.name}")
        else:
            for row in list_teams(project):
                names = ", ".join(f"{m['username']} ({m['role']})" for m in row["members"])
                self.stdout.write(f"{row['name']}\t{row['tasks']} tasks\t{names or '-'}")
            loose = without_team(project)
            if loose:
                self.stdout.write(f"in no team: {', '.join(loose)}")

    def _list(self, opts: dict[str, Any]) -> None:
        from wavetag.projects.models import Project

        for p in Project.objects.select_related("dataset"):
            n = Task.objects.filter(project=p).count()
            self.stdout.write(f"{p.pk}\t{p.name}\t{p.template}\t{p.dataset.name}\t{n} tasks")

    def _make_tasks(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        self.stdout.write(f"{make_tasks(project)} new tasks in {project.name}")

    def _schema(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        if opts["file"] is None:
            self.stdout.write(json.dumps(project.schema, indent=2))
            return
        replace_schema(project, _read_schema("FILE", opts["file"]))
        self.stdout.write(f"{project.name} now uses the schema in {opts['file']}")

    def _release(self, opts: dict[str, Any]) -> None:
        project = find_project(opts["project"])
        user = find_user(opts["user"]) if opts["user"] else None
        self.stdout.write(f"released {release(project, user=user)} assignments")
