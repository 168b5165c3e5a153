"""Workflow engine embedding (SpiffWorkflow lives only in this package). Use the facade below."""

from app.engine.service import (  # noqa: F401
    DeployError,
    cancel,
    complete,
    deploy,
    deploy_dir,
    diagram_state,
    get_instance,
    history,
    incidents,
    recompute_provisional_deadlines,
    retry,
    run_due,
    send_message,
    start,
    task_info,
)
from app.engine.types import (  # noqa: F401
    DeadlineInfo,
    DiagramState,
    HistoryEntry,
    IncidentInfo,
    InstanceInfo,
    StartSpec,
    TaskInfo,
    VersionInfo,
)
