"""Our checks on a diagram beyond the parser, run before anything is stored: every user task names a
form, every called process and decision exists, every timer expression evaluates to a date, a
duration or a cycle in a dry environment, and every flow node can reach an end event.

Each refusal is a DeployError carrying the element id, so the modeler can highlight the element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.common import clock
from app.engine.errors import DeployError
from app.errors import Text

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NS = {"bpmn": BPMN[1:-1], "spiffworkflow": SPIFF[1:-1]}

ACTIVITIES = (
    "task userTask manualTask scriptTask serviceTask businessRuleTask sendTask receiveTask "
    "callActivity subProcess transaction adHocSubProcess"
).split()
EVENTS = "startEvent endEvent intermediateCatchEvent intermediateThrowEvent boundaryEvent".split()
GATEWAYS = (
    "exclusiveGateway inclusiveGateway parallelGateway eventBasedGateway complexGateway".split()
)
FLOW_NODES = {BPMN + t for t in ACTIVITIES + EVENTS + GATEWAYS}
CONTAINERS = {BPMN + t for t in ("process", "subProcess", "transaction", "adHocSubProcess")}
TIMER_PARTS = {
    BPMN + "timeDate": "date",
    BPMN + "timeDuration": "duration",
    BPMN + "timeCycle": "cycle",
}


def _error(doc, reason: Text, node) -> DeployError:
    return DeployError(reason, file=doc.name, line=node.sourceline, element_id=node.get("id"))


def check_user_task_forms(doc) -> None:
    """A user task without a form would open an empty page in the inbox: refuse it."""
    for task in doc.root.iter(f"{BPMN}userTask"):
        names = {
            p.get("name"): (p.get("value") or "").strip()
            for p in task.iterfind(
                "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
            )
        }
        if not names.get("formJsonSchemaFilename"):
            raise _error(doc, _l("用户任务必须指定表单文件（formJsonSchemaFilename）"), task)


def check_called_processes(doc, *, exists: Callable[[str], bool]) -> None:
    """Every call activity names a process defined alongside or already deployed."""
    for node in doc.root.iter(f"{BPMN}callActivity"):
        called = (node.get("calledElement") or "").strip()
        if not called:
            raise _error(doc, _l("调用活动必须指定被调用的流程（calledElement）"), node)
        if not exists(called):
            raise _error(doc, _l("调用的流程“%(key)s”不存在", key=called), node)


def check_decisions(doc, *, known: Iterable[str]) -> None:
    """Every business-rule task names a decision found in the deployed DMN files."""
    known = set(known)
    for node in doc.root.iter(f"{BPMN}businessRuleTask"):
        refs = [
            (r.text or "").strip()
            for r in node.iterfind("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
        ]
        if not refs or not refs[0]:
            raise _error(doc, _l("业务规则任务必须指定决策表（calledDecisionId）"), node)
        if refs[0] not in known:
            raise _error(doc, _l("业务规则引用的决策“%(id)s”不存在", id=refs[0]), node)


class _DryData(dict):
    """Task data during a dry run: any variable a timer reads holds a sample date-time."""

    def __init__(self, sample: str, env: dict):
        super().__init__()
        self.sample, self.env = sample, env

    def __missing__(self, name: str) -> Any:
        # eval looks in this mapping before the globals: let functions and builtins through
        if name in self.env:
            return self.env[name]
        if name in self.env.get("__builtins__", {}):
            return self.env["__builtins__"][name]
        return self.sample


def _check_timer_value(kind: str, value: Any) -> None:
    if kind == "date":
        if isinstance(value, datetime):
            return
        if isinstance(value, date):
            return
        TimerEventDefinition.get_datetime(str(value))
    elif kind == "duration":
        if not str(value).upper().startswith("P"):
            raise ValueError("not an ISO 8601 duration")
        TimerEventDefinition.parse_iso_duration(str(value))
    else:
        TimerEventDefinition.parse_iso_recurring_interval(str(value))


def check_timers(doc) -> None:
    """Each timer expression evaluates, with our script functions and sample data, to an ISO date
    (timeDate), duration (timeDuration) or cycle (timeCycle)."""
    from app.engine.scripting import script_globals

    env = script_globals()
    sample = clock.local(clock.now()).isoformat()
    for part in doc.root.iter(*TIMER_PARTS):
        expr = (part.text or "").strip()
        event = part.getparent().getparent()
        if not expr:
            raise _error(doc, _l("定时器表达式不能为空"), event)
        kind = TIMER_PARTS[part.tag]
        try:
            value = eval(compile(expr, f"<{doc.name}>", "eval"), env, _DryData(sample, env))
            _check_timer_value(kind, value)
        except Exception as exc:  # any failure of an administrator's expression is a refusal
            label = {"date": _l("日期时间"), "duration": _l("时长"), "cycle": _l("循环周期")}[kind]
            raise _error(
                doc, _l("定时器表达式“%(expr)s”无法求得%(kind)s：%(error)s", expr=expr, kind=label,
                        error=exc), event
            ) from exc


def _is_terminal(node) -> bool:
    tag = node.tag
    if tag == f"{BPMN}endEvent":
        return True
    # a link throw continues at its catch: treat it as reaching the end
    return tag == f"{BPMN}intermediateThrowEvent" and node.find(
        f"{BPMN}linkEventDefinition"
    ) is not None


def _skipped(node) -> bool:
    return node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true"


def check_reachability(doc) -> None:
    """Every flow node of every process and subprocess has a path to an end event."""
    for container in doc.root.iter(*CONTAINERS):
        nodes = [n for n in container if n.tag in FLOW_NODES and not _skipped(n)]
        if not nodes:
            continue
        if container.tag == f"{BPMN}process" and not any(
            n.tag == f"{BPMN}endEvent" for n in nodes
        ):
            raise _error(doc, _l("流程没有结束事件"), container)
        incoming: dict[str, list[str]] = {}
        for flow in container.iterfind("bpmn:sequenceFlow", NS):
            incoming.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
        reach = {n.get("id") for n in nodes if _is_terminal(n)}
        todo = list(reach)
        while todo:
            for source in incoming.get(todo.pop(), []):
                if source not in reach:
                    reach.add(source)
                    todo.append(source)
        stuck = [n for n in nodes if n.get("id") not in reach]
        if stuck:
            sources = {f.get("sourceRef") for f in container.iterfind("bpmn:sequenceFlow", NS)}
            # name the dead end itself (no outgoing flow) rather than the steps leading to it
            dead = [n for n in stuck if n.get("id") not in sources]
            raise _error(doc, _l("从此元素出发无法到达结束事件"), (dead or stuck)[0])
