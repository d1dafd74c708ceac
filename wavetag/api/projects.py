"""Projects: creating, listing, settings, batches, task lists, progress, export, release,
invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from wavetag.accounts.registration import create_invitation, deliver_invitation
from wavetag.annotations.adjudication import adjudication_queue
from wavetag.annotations.agreement import project_agreement
from wavetag.annotations.batches import claim_batch, next_task, release
from wavetag.annotations.changes import change_settings, replace_schema
from wavetag.annotations.export import export_csv, export_json
from wavetag.annotations.listing import list_tasks, queue_rows
from wavetag.annotations.progress import project_progress, projects_overview
from wavetag.errors import InvalidInput, NotAllowed, load_json
from wavetag.projects import access
from wavetag.projects.builtin import ACTION_KEYS
from wavetag.projects.models import Role, Task
from wavetag.projects.services import create_from_data, describe, find_user

from .limits import MAX_OFFSET
from .users import api_user

try:
    from ninja import Status
except ImportError:  # django-ninja before Status: a (status, body) tuple does the same

    def Status(status_code: int, value: Any) -> Any:  # type: ignore[no-redef]
        return status_code, value


router = Router(tags=["projects"])
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def json_body(request: HttpRequest) -> Any:
    """The request body as JSON ({} when empty). Read here rather than by the schema layer
    so that every check lives in the services the pages use too."""
    if not request.body.strip():
        return {}
    if request.content_type in FORM_TYPES and _empty_form(request):
        # An empty form, as some clients send for a POST without data.
        return {}
    return load_json(request.body)


def _empty_form(request: HttpRequest) -> bool:
    try:
        return not request.POST
    except MultiPartParserError:
        # Not a form after all (a multipart type without its boundary): read it as JSON.
        return False


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    template: str
    dataset: str
    role: str | None = Field(description="your role: annotator, adjudicator or admin")
    annotators_per_task: int
    conflict_policy: Literal["adjudicate", "reenter"] = Field(
        description="answers that disagree go to an adjudicator, or (reenter) to one more "
        "annotator at a time until a strict majority agrees"
    )
    max_annotators: int = Field(description="reenter: the most annotators a task may get")
    reveal_outcome: bool = Field(
        description="annotators see the final label of their tasks once final"
    )
    practice_size: int = Field(description="gold tasks per practice attempt (0: no test)")
    practice_pass: int = Field(description="percent correct that passes the practice test")
    gold_rate: int = Field(description="percent of each batch drawn from hidden gold tasks")
    leaderboard_anonymous: bool = Field(description="the leaderboard shows ranks without names")
    machine_suggestions: bool = Field(
        description="diagnosis forms start from the automatic 12-lead statements, marked "
        "as machine suggestions"
    )
    open: bool = Field(
        False, description="listed in the catalogue of open projects: anyone signed in may join"
    )
    batch_size: int
    blind: bool
    window_before: float = Field(description="seconds shown before an event")
    window_after: float = Field(description="seconds shown after an event")
    segment_seconds: float | None
    event_at: float | None
    event_set: str
    visible_sets: list[str]
    record_selection: dict[str, Any] = Field(
        default_factory=dict,
        description="which records the tasks were made from ({}: all): pattern, "
        "annotation_set, and for a random sample its size, seed and the record names drawn",
    )


class ProjectItem(ProjectOut):
    claimed: int = Field(description="tasks you claimed")
    done: int = Field(description="tasks you submitted")


class ProjectList(Schema):
    items: list[ProjectItem]
    count: int


class ProjectDetail(ProjectOut):
    label_schema: dict[str, Any] = Field(description="fields, choices and their shortcuts")
    action_keys: dict[str, str]
    tasks: int
    next_task: int | None = Field(description="where to resume your batch")


class RecordRef(Schema):
    id: int
    name: str


class Mine(Schema):
    batch: int
    position: int
    status: str = Field(description="new, draft, later or submitted")


class TaskRow(Schema):
    id: int
    project: int
    record: RecordRef
    event_time: float | None
    window_start: float
    window_end: float
    alarm_type: str
    status: Literal["open", "conflict", "agreed", "adjudicated"] | None = Field(
        description="null for a task you annotate: its outcome is not shown to you"
    )
    reason: str | None = Field(
        description="why an expert must decide: conflict, unsure, reject, no-majority; in "
        "the adjudication queue also request (an annotator asked to change a frozen "
        "answer) or flag"
    )
    final_label: dict[str, Any] | None
    decided_by: Literal["agreed", "majority", "adjudicated"] | None
    discussion: bool
    mine: Mine | None


class TaskList(Schema):
    items: list[TaskRow]
    count: int


class BatchOut(Schema):
    tasks: list[int]


class NextOut(Schema):
    task: int | None


class Totals(Schema):
    tasks: int
    needing_annotators: int
    open: int | None
    conflict: int | None
    agreed: int | None
    adjudicated: int | None
    beat_agreement: dict[str, Any] | None = Field(
        None,
        description="beat-correction projects, for adjudicators and admins: compared tasks "
        "and the mean Se, +P and label kappa of their annotator pairs",
    )


class AnnotatorProgress(Schema):
    username: str
    role: str | None
    claimed: int
    done: int
    in_progress: int
    later: int
    conflicts: int | None
    agreed: int | None
    adjudicated: int | None
    adjudications: int | None


class ProgressOut(Schema):
    project: int
    totals: Totals
    annotators: list[AnnotatorProgress]


class RecordsIn(Schema):
    pattern: str | None = Field(None, description="glob on the record name, e.g. 1?? or v1*")
    annotation_set: str | None = Field(
        None, description="only records with an annotation (or event) set of this name"
    )
    sample: int | None = Field(None, description="N records drawn at random from those")
    seed: int | None = Field(
        None, description="the draw's seed (drawn and kept when not given): same seed, same records"
    )


class CreateIn(Schema):
    name: str
    dataset: str = Field(description="the dataset's name")
    template: str | None = Field(
        None, description="a built-in template: icu-alarm, resting-12lead, wearable-rhythm, ..."
    )
    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description="or a custom label schema (as for --schema FILE)"
    )
    description: str = ""
    records: RecordsIn | None = Field(None, description="which records (left out: all)")
    annotators_per_task: int | None = Field(None, description="k (the template's default: 2)")
    batch_size: int | None = None
    blind: bool = True
    window_before: float | None = Field(None, description="event tasks: seconds before")
    window_after: float | None = Field(None, description="event tasks: seconds after")
    event_at: float | None = None
    event_set: str = Field("", description="event tasks: the annotation set holding events")
    event_match: str = ""
    segment_seconds: float | None = Field(None, description="segment tasks: 10 or 30")
    visible_sets: list[str] = []
    conflict_policy: Literal["adjudicate", "reenter"] = "adjudicate"
    max_annotators: int | None = None
    reveal_outcome: bool | None = None
    practice_size: int | None = None
    practice_pass: int | None = None
    gold_rate: int | None = None
    leaderboard_anonymous: bool | None = None
    machine_suggestions: bool | None = None
    open: bool | None = Field(None, description="anyone signed in may join as annotator")


class CreatedOut(Schema):
    id: int
    tasks: int


class SettingsIn(Schema):
    description: str | None = None
    batch_size: int | None = None
    annotators_per_task: int | None = Field(None, description="only until the first claim")
    blind: bool | None = Field(None, description="only until the first answer")
    visible_sets: list[str] | None = Field(None, description="only until the first answer")
    conflict_policy: Literal["adjudicate", "reenter"] | None = None
    max_annotators: int | None = None
    reveal_outcome: bool | None = None
    practice_size: int | None = None
    practice_pass: int | None = None
    gold_rate: int | None = None
    leaderboard_anonymous: bool | None = None
    machine_suggestions: bool | None = None
    open: bool | None = Field(None, description="anyone signed in may join as annotator")


class ReleaseIn(Schema):
    username: str | None = Field(None, description="only this annotator's assignments")
    task: int | None = Field(None, description="only this task's assignments")


class ReleaseOut(Schema):
    released: int


class InvitationIn(Schema):
    role: Literal["annotator", "adjudicator", "admin"]
    email: str = ""
    days: float = 14


class InvitationOut(Schema):
    code: str
    role: str
    email: str
    expires_at: datetime
    link: str = Field(description="the registration link with the code")
    emailed: bool = Field(description="the link was e-mailed to the address")
    mail_error: str = Field("", description="why the e-mail could not be sent")


def _body_schema(schema: type[Schema]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


@router.get("/projects", response=ProjectList, summary="Your projects (site admins: all)")
def list_projects(request: HttpRequest) -> dict[str, Any]:
    items = projects_overview(api_user(request))
    return {"items": items, "count": len(items)}


@router.post(
    "/projects",
    response={201: CreatedOut},
    summary="Create a project and its tasks (site admins)",
    description="From a built-in `template` or a custom `schema`, on the records of "
    "`dataset` chosen by `records` (all when left out; `pattern`, `annotation_set` and "
    "`sample` with `seed` combine). A random sample keeps its seed and the names drawn. "
    "400 naming the field (`schema.fields[0].choices: ...`, `records.sample: ...`) for bad "
    "input, 409 for a name in use. The creator becomes the project's admin.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CreateIn.model_json_schema()}},
        }
    },
)
def post_project(request: HttpRequest) -> Any:
    user = api_user(request)
    if not access.can_create_projects(user):
        raise NotAllowed("creating projects needs a site admin")
    project = create_from_data(json_body(request), user)
    return Status(201, {"id": project.pk, "tasks": Task.objects.filter(project=project).count()})


@router.get("/projects/{project_id}", response=ProjectDetail, summary="One project")
def get_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    out = describe(project, access.role_in(user, project))
    resume = next_task(project, user)
    out.update(
        label_schema=project.schema,
        action_keys=ACTION_KEYS,
        tasks=Task.objects.filter(project=project).count(),
        next_task=resume.pk if resume else None,
    )
    return out


@router.post(
    "/projects/{project_id}/batches",
    response=BatchOut,
    summary="Claim a batch of tasks",
    description="N random tasks that still need annotators and that you do not have yet. "
    "409 while your current batch is not done (saved-for-later tasks count as not done).",
)
def post_batch(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    return {"tasks": [t.pk for t in claim_batch(project, user)]}


@router.get("/projects/{project_id}/next", response=NextOut, summary="Where to resume")
def get_next(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    task = next_task(project, user)
    return {"task": task.pk if task else None}


@router.get(
    "/projects/{project_id}/tasks",
    response=TaskList,
    summary="Tasks: yours (mine=1), open for discussion, or all (adjudicators, admins)",
)
def get_tasks(
    request: HttpRequest,
    project_id: int,
    mine: bool = False,
    status: Literal["open", "conflict", "agreed", "adjudicated"] | None = None,
    discussion: bool = False,
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    rows, count = list_tasks(
        project,
        user,
        access.role_in(user, project),
        mine=mine,
        status=status,
        discussion=discussion,
        limit=limit,
        offset=offset,
    )
    return {"items": rows, "count": count}


@router.get(
    "/projects/{project_id}/adjudication",
    response=TaskList,
    summary="Your adjudication queue (adjudicators, admins)",
    description="Tasks in conflict, or decided with an open flag or change request; never "
    "one you annotated or skipped. Each row's `reason` says why it is there.",
)
def get_queue(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADJUDICATOR)
    rows = queue_rows(adjudication_queue(project, user))
    return {"items": rows, "count": len(rows)}


@router.get("/projects/{project_id}/progress", response=ProgressOut, summary="Progress")
def get_progress(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id)
    return project_progress(project, user, access.role_in(user, project))


@router.get(
    "/projects/{project_id}/export",
    summary="Every task with its annotations, status and final label",
    description="JSON `{project, template, dataset: {name, provenance, licence}, items: "
    "[{id, record, event, status, final_label, annotations, ...}]}` or CSV (one row per "
    "annotation). Project admins and adjudicators only. "
    "`aggregate=dawid-skene` (form projects) adds each task's labels aggregated from its "
    "answers by the Dawid-Skene model, per agreement field: JSON `aggregate: {field: "
    "{label, p}}` (a multi field: `label` the choices whose posterior of being present is "
    "at least 0.5, `p` that posterior per choice), CSV columns `ds_<field>` and "
    "`ds_<field>_p`; null for tasks without answers and for tasks you annotate.",
    response={200: dict[str, Any]},
)
def get_export(
    request: HttpRequest,
    project_id: int,
    format: Literal["json", "csv"] = "json",
    aggregate: Literal["dawid-skene"] | None = None,
) -> Any:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADJUDICATOR)
    if format == "csv":
        text = export_csv(project, user, aggregate)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="project-{project.pk}.csv"'
        return response
    return export_json(project, user, aggregate)


@router.get(
    "/projects/{project_id}/agreement",
    summary="Agreement statistics of the annotators (adjudicators, admins)",
    description="From the submitted answers of each task's current assignees, leaving out "
    "the tasks you annotate yourself (`excluded_blind`). Top level: `project`, `kind` "
    "(labels or beats), `tasks` (tasks with answers used), `answers`, `excluded_blind`, "
    "`agreed_without_adjudication` `{tasks, agreed, share}` (of the tasks with every "
    "answer in), `fields`. Per agreement field (a multi field's category is its set of "
    "sure items, e.g. `normal+pvc` or `(none)`): `items`, `ratings`, "
    "`percent_agreement`, `coefficient` (`fleiss_kappa` when every task has the same "
    "number of answers, else `krippendorff_alpha`) and its `value`, both coefficients, "
    "`categories`, `coincidence` (matrix in category order), `pairs` (annotator pairs "
    "sharing at least 10 tasks: `a`, `b`, `shared`, `agreement`, `cohen_kappa`, "
    "`confusion` rows a, columns b), `annotators` (`{name: {tasks, versus_final: {n, "
    "agreement, cohen_kappa, confusion (rows final, columns answer), classes: {category: "
    "{support, sensitivity, precision}}}}}`), `dawid_skene` (`{annotators: {name: "
    "{accuracy, confusion (rows true class, columns answer)}}, priors, converged}`), and "
    "for multi fields `per_choice` (`{choice: the same statistics of present/absent}`). "
    "Statistics that are undefined (no answers, one category) are null. Beat-correction "
    "projects add `beats`: `compared`, `pairs` (pooled over the tasks: `beats_a`, "
    "`beats_b`, `matched`, `missed`, `extra`, `sensitivity` and `ppv` of b against a, "
    "`label_agreement`, `kappa_mean` over `kappa_tasks` tasks) and `versus_final` (per "
    "annotator against the final set on final tasks: `sensitivity`, `ppv`, `labels`).",
    response={200: dict[str, Any]},
)
def get_agreement(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    return project_agreement(access.get_project_for_user(user, project_id), user)


@router.patch(
    "/projects/{project_id}",
    response=ProjectDetail,
    summary="Change the settings (project admins)",
    description="Any time: `description`, `batch_size` (the next claims), "
    "`conflict_policy` (adjudicate or reenter; tasks already in conflict stay so), "
    "`max_annotators` (reenter: the most annotators a task may get; from "
    "annotators_per_task to the schema's limit; only upward once there are answers), "
    "`reveal_outcome`, `practice_size` (0 to 100 gold tasks per practice attempt; 0: no "
    "test), `practice_pass` (percent), `gold_rate` (0 to 50 percent of each batch), "
    "`leaderboard_anonymous` and `machine_suggestions` (diagnosis forms start from the "
    "automatic 12-lead statements, marked as such). Until the first answer: `blind`, "
    "`visible_sets`; until the first claim: `annotators_per_task`. Never (409 naming the "
    "field): what the tasks were made from (`dataset`, `template`, `records`, windows, "
    "events, segments; the schema has its own PUT). Tasks already decided keep their "
    "outcome.",
    openapi_extra=_body_schema(SettingsIn),
)
def patch_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADMIN)
    change_settings(project, json_body(request))
    return get_project(request, project_id)


@router.put(
    "/projects/{project_id}/schema",
    response=ProjectDetail,
    summary="Replace the label schema with a custom one (project admins, before any answer)",
    description="The body is a schema as for `wavetag project create --schema FILE`. Refused "
    "(409) once anyone saved an answer or a decision: answers depend on the schema's meaning. "
    "The tasks stay as they are, so the schema's `tasks` must not change.",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
)
def put_schema(request: HttpRequest, project_id: int) -> dict[str, Any]:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADMIN)
    replace_schema(project, json_body(request))
    return get_project(request, project_id)


@router.post(
    "/projects/{project_id}/release",
    response=ReleaseOut,
    summary="Release unfinished assignments (project admins)",
    description="Without a body, every unfinished assignment of the project. Drafts of the "
    "released assignments are discarded; submitted answers are never touched.",
    openapi_extra=_body_schema(ReleaseIn),
)
def post_release(request: HttpRequest, project_id: int) -> dict[str, Any]:
    project = access.get_project_for_user(api_user(request), project_id, needs=Role.ADMIN)
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    unknown = set(body) - {"username", "task"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown (username, task)")
    user = None
    if body.get("username") is not None:
        if not isinstance(body["username"], str):
            raise InvalidInput("username: must be a text")
        user = find_user(body["username"])
    task = None
    if body.get("task") is not None:
        if isinstance(body["task"], bool) or not isinstance(body["task"], int):
            raise InvalidInput("task: must be a task id")
        task = Task.objects.filter(project=project, pk=body["task"]).first()
        if task is None:
            raise InvalidInput(f"task: no task {body['task']} in this project")
    return {"released": release(project, user=user, task=task)}


@router.post(
    "/projects/{project_id}/invitations",
    response={201: InvitationOut},
    summary="Invite someone to the project (project admins); the code is shown once, "
    "and the registration link is e-mailed to the address if one is given",
)
def post_invitation(request: HttpRequest, project_id: int, payload: InvitationIn) -> Any:
    user = api_user(request)
    project = access.get_project_for_user(user, project_id, needs=Role.ADMIN)
    invitation, code = create_invitation(
        project, payload.role, email=payload.email, days=payload.days, created_by=user
    )
    delivery = deliver_invitation(invitation, code, request.build_absolute_uri(reverse("home")))
    return Status(
        201,
        {
            "code": code,
            "role": invitation.role,
            "email": invitation.email,
            "expires_at": invitation.expires_at,
            "link": delivery.link,
            "emailed": delivery.emailed,
            "mail_error": delivery.error,
        },
    )
