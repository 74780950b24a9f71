"""docs/processes.md, written from the flow classes themselves so it cannot drift from them
(tests/processes/test_docs.py fails when it does; `manage.py flows_doc` rewrites it)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from viewflow.workflow.nodes import End, If, Join, StartHandle

from processes.nodes import FanOut, Step
from processes.registry import FLOWS

HEADER = """# Processes

The flows in `processes/`, one file each, written with django-viewflow 2. This page is generated
from the flow classes by `manage.py flows_doc`; a test fails when it is out of date.

How they work (ADR 0009): the domain's services change state through FSM transitions; each
transition lets the flows of the object catch up in the same transaction. A **Step** is a human
task for a role in a unit (the call's office, a member department, the applicant organisation);
it is done when its condition on the domain state holds. Every Step offers the approval moves of
ADR 0010 (hand over, delegate, urge, copy, return, withdraw where the step can be undone, added
signers). Due dates are counted in working days on the holiday calendar.
"""


def _words(name: str) -> str:
    return name.replace("_", " ")


def _shape(node: Any) -> str:
    label = str(node.task_title) if isinstance(node, Step) else _words(node.name)
    label = label.replace('"', "'")
    if isinstance(node, If):
        return f'{node.name}{{"{label}?"}}'
    if isinstance(node, (FanOut, Join)):
        return f'{node.name}(("{"split" if isinstance(node, FanOut) else "join"}"))'
    if isinstance(node, (StartHandle, End)):
        return f'{node.name}(["{label}"])'
    return f'{node.name}["{label}"]'


def _edges(node: Any) -> list[tuple[str, str, str]]:
    edges = []
    for edge in node._outgoing():
        label = ""
        if isinstance(node, If):
            label = "yes" if edge.dst is node._on_true else "no"
        elif isinstance(node, FanOut):
            label = "one per department"
        edges.append((node.name, edge.dst.name, label))
    return edges


def _ordered(flow_class: Any) -> list[Any]:
    """Nodes in the order a reader meets them: breadth first from the start."""
    start = flow_class.start
    seen, order, queue = set(), [], [start]
    while queue:
        node = queue.pop(0)
        if node.name in seen:
            continue
        seen.add(node.name)
        order.append(node)
        queue.extend(edge.dst for edge in node._outgoing())
    return order


def _doc(func: Any) -> str:
    text = (func.__doc__ or "").strip().split("\n")[0]
    return text or _words(func.__name__).capitalize() + "."


def render() -> str:
    parts = [HEADER]
    with translation.override("en"):
        for flow_class in FLOWS:
            nodes = _ordered(flow_class)
            module = flow_class.__module__.replace(".", "/") + ".py"
            parts.append(f"\n## {flow_class.process_title}\n")
            parts.append(f"`{module}` · artifact: `{flow_class.artifact_model.__name__}`\n")
            summary = (__import__(flow_class.__module__, fromlist=["x"]).__doc__ or "").strip()
            parts.append(f"\n{summary}\n")
            parts.append("\n```mermaid\nflowchart TD\n")
            for node in nodes:
                parts.append(f"    {_shape(node)}\n")
            for src, dst, label in (e for node in nodes for e in _edges(node)):
                arrow = f"-- {label} -->" if label else "-->"
                parts.append(f"    {src} {arrow} {dst}\n")
            parts.append("```\n\n")
            parts.append("| step | who acts | done when | due (working days) |\n")
            parts.append("|---|---|---|---|\n")
            for node in nodes:
                if isinstance(node, Step):
                    unit = _words(node._unit.__name__)
                    due = node.due_working_days if node.due_working_days is not None else "—"
                    undo = " (can be withdrawn)" if node.undo else ""
                    parts.append(
                        f"| `{node.name}`: {node.task_title}{undo} | {node.role.label}, "
                        f"{unit} | {_doc(node._done)} | {due} |\n"
                    )
                elif isinstance(node, If):
                    parts.append(f"| `{node.name}` (gateway) | — | {_doc(node._condition)} | — |\n")
    return "".join(parts)
