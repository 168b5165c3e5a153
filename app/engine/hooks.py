"""Extension points for other domains: script functions and per-process start/summary hooks.

Domain services register here at import time; `load_domain_hooks()` imports them at app start so the
engine never imports a domain module by itself anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from app.engine.types import StartSpec

DOMAIN_MODULES = ("app.allocation.services", "app.leasing.services", "app.reserve.services",
                  "app.trading.services", "app.trading.mediation")

_script_functions: dict[str, Callable] = {}
_processes: dict[str, ProcessHooks] = {}
_periodic: dict[str, Callable[[], Any]] = {}


@dataclass(frozen=True)
class ProcessHooks:
    prepare_start: Callable[[dict, Any], StartSpec] | None = None
    summarize: Callable[[dict], dict] | None = None
    on_complete: Callable[[int, dict], None] | None = None
    # (message name, current summary) -> (rule id, message) to explain a refused message, e.g. R12
    refuse_message: Callable[[str, dict], tuple[str | None, str] | None] | None = None


def register_script_function(name: str, fn: Callable) -> None:
    """Make `fn` callable by its name from every diagram script and condition."""
    _script_functions[name] = fn


def script_functions() -> dict[str, Callable]:
    return dict(_script_functions)


def register_process(
    key: str,
    *,
    prepare_start: Callable[[dict, Any], StartSpec] | None = None,
    summarize: Callable[[dict], dict] | None = None,
    on_complete: Callable[[int, dict], None] | None = None,
    refuse_message: Callable[[str, dict], tuple[str | None, str] | None] | None = None,
) -> None:
    """Hooks for process `key`: `prepare_start(data, actor) -> StartSpec` validates and shapes the
    start
    data; `summarize(data) -> dict` builds the business summary; `on_complete(instance_id, data)`
    runs
    when the instance ends; `refuse_message(name, summary)` explains a message that is not
    awaited."""
    _processes[key] = ProcessHooks(prepare_start, summarize, on_complete, refuse_message)


# (task name, the refusal, the element ids of the instance's version) -> data that completes the
# task with the refusal as its outcome, or None to refuse and change nothing (engine.complete)
RefusalOutcome = Callable[[str, Any, frozenset[str]], dict | None]
_refusal_outcomes: dict[str, RefusalOutcome] = {}


def register_refusal_outcome(key: str, fn: RefusalOutcome) -> None:
    """For process `key`: a domain refusal of a task's completion that the diagram models as an
    outcome (e.g. R37: the rights were sold meanwhile, the trade ends). `fn` says with which data
    the task is completed instead; the refusal is still answered to the caller."""
    _refusal_outcomes[key] = fn


def refusal_outcome(key: str) -> RefusalOutcome | None:
    return _refusal_outcomes.get(key)


def register_periodic(name: str, fn: Callable[[], Any]) -> None:
    """A job the worker runs after every round of timers (e.g. the daily ledger sweep); it must be
    cheap when there is nothing to do and safe to run again."""
    _periodic[name] = fn


def periodic_jobs() -> dict[str, Callable[[], Any]]:
    return dict(_periodic)


def process_hooks(key: str) -> ProcessHooks:
    return _processes.get(key) or ProcessHooks()


def load_domain_hooks() -> None:
    """Import the domain modules that register hooks (idempotent)."""
    for name in DOMAIN_MODULES:
        try:
            import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
