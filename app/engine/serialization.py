"""Workflow state and spec (de)serialization: specs stored once per version and cached in-process;
instance state stored without its spec. Decimal and date survive in task data (R1)."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.engine.scripting import script_engine


def _registry():
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"])
    )
    return registry


SERIALIZER = BpmnWorkflowSerializer(_registry())
_specs: dict[tuple[int, str], tuple] = {}
_lock = threading.Lock()


def dump_spec(spec, subprocess_specs: dict) -> str:
    """The parsed process and every subprocess/call-activity spec it needs (DMN included)."""
    return json.dumps(
        {
            "spec": SERIALIZER.to_dict(spec),
            "subprocess_specs": {k: SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
        }
    )


def load_spec(version_id: int, content_hash: str, spec_json_loader) -> tuple:
    """(spec, subprocess_specs) for a version, deserialized once per process."""
    key = (version_id, content_hash)
    cached = _specs.get(key)
    if cached is None:
        dct = json.loads(spec_json_loader())
        cached = (
            SERIALIZER.from_dict(dct["spec"]),
            {k: SERIALIZER.from_dict(v) for k, v in dct["subprocess_specs"].items()},
        )
        with _lock:
            _specs[key] = cached
    return cached


def new_workflow(spec, subprocess_specs: dict) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())


def dump_state(workflow: BpmnWorkflow) -> str:
    """The instance's state without its spec (the version row holds that)."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        return json.dumps(dct, cls=SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def load_state(state_json: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild an instance from its state and its version's cached spec; re-attach the script
    engine."""
    dct = json.loads(state_json)
    SERIALIZER.migrate(dct)
    registry = SERIALIZER.registry
    converter = registry.convert_from_dict[registry.typenames[BpmnWorkflow]].args[0].__self__
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = converter.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    converter.set_default_attributes(workflow, dct)
    converter.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = registry.restore(dct.pop("bpmn_events", []))
    workflow.script_engine = script_engine()
    return workflow
