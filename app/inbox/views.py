"""Pages of the inbox area: the task lists (待办 / 已办 / 我发起的), a task's form, an instance's
summary, timeline and diagram, and starting a process (发起)."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app import engine
from app.auth.access import actor, page_auth
from app.common import clock
from app.errors import Conflict, Forbidden, RuleViolation, ValidationFailed
from app.extensions import db
from app.inbox import forms, presentation, queries, services

bp = Blueprint("inbox", __name__, template_folder="templates")
bp.add_app_template_global(forms.form_text, "form_text")  # forms' own words, per language


@bp.app_context_processor
def _presentation():
    """Summary rows and process names for every page that shows an instance."""
    return {
        "summary_rows": presentation.summary_rows,
        "process_name": presentation.process_name,
        "local_when": presentation.when,
    }

TABS = ("todo", "done", "mine")
PER_PAGE = 25


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    return redirect(url_for("public.index"))


def _int_arg(name: str, default: int) -> int:
    try:
        return max(int(request.args.get(name, default)), 1)
    except ValueError:
        return default


@bp.get("/inbox")
@page_auth()
def index():
    user = actor()
    tab = request.args.get("tab", "todo")
    tab = tab if tab in TABS else "todo"
    sort = request.args.get("sort", queries.DEFAULT_SORT)
    sort = sort if sort in queries.SORTS else queries.DEFAULT_SORT
    flt = queries.TaskFilter(
        process=request.args.get("process") or None,
        overdue=request.args.get("overdue") in ("1", "true", "on"),
        q=(request.args.get("q") or "").strip() or None,
        sort=sort,
    )
    page = _int_arg("page", 1)
    if tab == "mine":
        result = queries.list_started(user=user, process=flt.process, q=flt.q, page=page,
                                      per_page=PER_PAGE)
        rows = result.items
    else:
        result = queries.list_tasks(user=user, view=tab, flt=flt, page=page, per_page=PER_PAGE)
        now = clock.now()
        rows = [queries.task_row(t, now) for t in result.items]
    people = services.usernames(
        {r["task"].assignee_id for r in rows} if tab != "mine" else set()
    )
    return render_template(
        "inbox/index.html", tab=tab, flt=flt, rows=rows, result=result, people=people,
        processes=services.latest_versions(), todo_total=queries.todo_count(user),
        pages=max((result.total + PER_PAGE - 1) // PER_PAGE, 1),
    )


def _back() -> str:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inbox.index")


@bp.post("/inbox/tasks/<task_id>/claim")
@page_auth()
def claim(task_id: str):
    try:
        services.claim(user=actor(), task_id=task_id)
        db.session.commit()
        flash(_("Task claimed."), "success")
    except (Conflict, Forbidden) as exc:
        db.session.rollback()
        flash(exc.localized(), "warning")
    return redirect(_back())


@bp.post("/inbox/tasks/<task_id>/unclaim")
@page_auth()
def unclaim(task_id: str):
    try:
        services.unclaim(user=actor(), task_id=task_id)
        db.session.commit()
        flash(_("Task returned to the queue."), "success")
    except (Conflict, Forbidden) as exc:
        db.session.rollback()
        flash(exc.localized(), "warning")
    return redirect(_back())


def _render_task(task, *, spec, values, errors=None, conflict=None, status=200):
    errors = errors or {}
    fields = forms.build_fields(spec, values, errors) if spec else []
    has_opinion = spec is not None and "opinion" in (forms.allowed_keys(spec.schema) or set())
    inst = engine.get_instance(task.instance_id)
    return render_template(
        "inbox/task.html", task=task, spec=spec, fields=fields, errors=errors,
        form_errors=errors.get(forms.FORM_ERROR, []), has_opinion=has_opinion,
        opinion=(values or {}).get("opinion", ""), conflict=conflict, inst=inst,
        light=queries.light(task.due_at), can_work=queries.can_work(actor(), task),
        timeline=services.timeline(task.instance_id),
        holder=services.usernames({task.assignee_id}).get(task.assignee_id),
    ), status


@bp.get("/inbox/tasks/<task_id>")
@page_auth()
def task(task_id: str):
    row = services.get_task(user=actor(), task_id=task_id)
    spec, data = services.task_form(row)
    values = forms.prefill(spec, data) if spec else {}
    return _render_task(row, spec=spec, values=values)


@bp.post("/inbox/tasks/<task_id>")
@page_auth()
def complete(task_id: str):
    user = actor()
    row = services.get_task(user=user, task_id=task_id)
    spec, _data = services.task_form(row)
    data = forms.parse_form(spec.schema, request.form) if spec else {}
    opinion = (request.form.get("opinion") or "").strip()
    if opinion and "opinion" not in data:
        data["opinion"] = opinion
    try:
        services.complete(user=user, task_id=row.id, data=data)
        db.session.commit()
    except (ValidationFailed, RuleViolation) as exc:
        db.session.rollback()
        return _render_task(row, spec=spec, values=data, errors=_errors_of(exc), status=422)
    except Conflict as exc:
        db.session.rollback()
        db.session.refresh(row)
        return _render_task(row, spec=spec, values=data, status=409,
                            conflict=_("This task has already been handled by someone else.")
                            if row.state != "open" else exc.localized())
    flash(_("Task completed: %(title)s", title=row.title), "success")
    return redirect(url_for("inbox.index"))


@bp.get("/inbox/instances/<int:instance_id>")
@page_auth()
def instance(instance_id: int):
    inst = services.get_instance(user=actor(), instance_id=instance_id)
    info = engine.get_instance(inst.id)
    now = clock.now()
    tasks = [queries.task_row(t, now) for t in info.active_tasks]
    return render_template(
        "inbox/instance.html", info=info, tasks=tasks, timeline=services.timeline(inst.id),
        diagram=engine.diagram_state(inst.id),
        people=services.usernames({t.assignee_id for t in info.active_tasks} | {info.started_by}),
    )


@bp.get("/inbox/instances/<int:instance_id>/diagram")
@page_auth()
def diagram(instance_id: int):
    """The version's BPMN XML with completed and active element ids, for the viewer script."""
    inst = services.get_instance(user=actor(), instance_id=instance_id)
    state = engine.diagram_state(inst.id)
    return jsonify({"xml": state.bpmn_xml, "completed": state.completed, "active": state.active})


@bp.get("/inbox/instances/<int:instance_id>/bpmn")
@page_auth()
def instance_bpmn(instance_id: int):
    """The BPMN XML of the version this instance runs on (for the viewer)."""
    inst = services.get_instance(user=actor(), instance_id=instance_id)
    return Response(engine.diagram_state(inst.id).bpmn_xml, mimetype="application/xml")


@bp.get("/inbox/start")
@page_auth()
def start_list():
    return render_template("inbox/start_list.html",
                           processes=services.startable_processes(user=actor()))


def _startable(key: str):
    for item in services.startable_processes(user=actor()):
        if item.key == key:
            return item
    raise Forbidden(_("You may not start this process."))


@bp.route("/inbox/start/<key>", methods=["GET", "POST"])
@page_auth()
def start(key: str):
    item = _startable(key)
    spec = forms.load_form(item.form_key) if item.form_key else None
    values: dict = {}
    raw = ""
    errors: dict = {}
    if request.method == "POST":
        if spec:
            values = forms.parse_form(spec.schema, request.form)
        else:
            raw = request.form.get("data_json", "")
            values = _json_object(raw, errors)
        if not errors:
            try:
                info = services.start(user=actor(), key=key, data=values)
                db.session.commit()
                flash(_("Started: %(name)s", name=item.name), "success")
                return redirect(url_for("inbox.instance", instance_id=info.id))
            except (ValidationFailed, RuleViolation) as exc:
                db.session.rollback()
                errors = _errors_of(exc)
    fields = forms.build_fields(spec, values, errors) if spec else []
    return render_template(
        "inbox/start.html", item=item, spec=spec, fields=fields, errors=errors, raw=raw,
        form_errors=errors.get(forms.FORM_ERROR, []),
    ), (422 if errors else 200)


def _errors_of(exc: ValidationFailed | RuleViolation) -> dict[str, list[str]]:
    """Field messages, plus the message itself form-wide when no field carries it (or a rule
    refused the request, which the page names with its id)."""
    errors = {k: list(v) for k, v in (exc.localized_fields() or {}).items()}
    rule = getattr(exc, "rule", None)
    if rule or not errors:
        errors.setdefault(forms.FORM_ERROR, []).append(
            _("%(message)s（%(rule)s）", message=exc.localized(), rule=rule) if rule
            else exc.localized())
    return errors


def _json_object(raw: str, errors: dict) -> dict:
    import json

    try:
        value = json.loads(raw or "{}")
    except ValueError:
        errors["data_json"] = [_("Enter a valid JSON object.")]
        return {}
    if not isinstance(value, dict):
        errors["data_json"] = [_("Enter a valid JSON object.")]
        return {}
    return value
