"""One task completion through the engine service (with persistence and commit) beside the raw
in-memory SpiffWorkflow step for the same diagram, in the same run.

    .venv/bin/python bench/engine_step.py [--db sqlite|postgres] [--n 300]

Target (issue 2): service completion p95 ≤ 25 ms on this 2-core machine.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import ROOT, database, make_app, percentiles, show

DIAGRAM = Path(__file__).resolve().parent / "fixtures" / "review.bpmn"
FORMS = Path(__file__).resolve().parent / "fixtures" / "forms"
TARGET_P95_MS = 25.0


def raw_engine(n: int) -> dict[str, float]:
    """The same step with SpiffWorkflow alone: no DB, no serialisation, no projections."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec("bench_review")
    samples = []
    for _ in range(n):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        task = wf.get_next_task(state=TaskState.READY, manual=True)
        t0 = time.perf_counter()
        task.data.update({"decision": "approve", "opinion": "同意"})
        task.run()
        wf.do_engine_steps()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def service(url: str, n: int) -> dict[str, float]:
    from app import engine
    from app.extensions import db

    app = make_app(url, ERFLOW_FORMS_DIR=str(FORMS))
    with app.app_context():
        db.create_all()
        engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
        db.session.commit()
        tasks = []
        for _ in range(n + 20):
            inst = engine.start("bench_review", {}, actor_id=None, handling_region="330106")
            db.session.commit()
            tasks.append(inst.active_tasks[0].id)
        samples = []
        for i, task_id in enumerate(tasks):
            t0 = time.perf_counter()
            engine.complete(task_id, {"decision": "approve", "opinion": "同意"}, actor_id=1)
            db.session.commit()
            elapsed = (time.perf_counter() - t0) * 1000
            db.session.expunge_all()  # a web request starts with an empty session
            if i >= 20:  # warm-up: spec cache, statement cache
                samples.append(elapsed)
        return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    print(f"engine step benchmark — {args.n} completions, diagram {DIAGRAM.relative_to(ROOT)}")
    show("raw SpiffWorkflow step (in memory)", raw_engine(args.n))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        with database(kind) as url:
            show(f"engine.complete + commit ({kind})", service(url, args.n), TARGET_P95_MS)


if __name__ == "__main__":
    main()
