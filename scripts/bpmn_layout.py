"""Write a BPMN Diagram Interchange (DI) section for a .bpmn file, deterministically.

    .venv/bin/python scripts/bpmn_layout.py bpmn/allocation.bpmn [more.bpmn …] [--check]

Layout, left to right:
- columns: longest path from the start events over the sequence flows, back edges (loops) ignored;
  a flow leaving a boundary event counts as leaving the activity the event is attached to;
- rows: one horizontal band per lane, in the order of the lane set; nodes that would share a lane
  and a column (and targets of boundary events) go to extra rows of that lane;
- sizes: events 36×36, activities 100×80, gateways 50×50; boundary events on the bottom border of
  their activity; external labels under events and beside gateways, on a side no flow uses;
- flows: orthogonal waypoints (straight, one bend, or a loop back along the bottom of the lane).

Only the DI is (re)written: every existing bpmndi:BPMNDiagram is removed and a new one is put before
the closing tag of bpmn:definitions; the rest of the file is kept byte for byte (semantics, ids,
comments, formatting). The three DI namespaces are declared on the root if missing.
With --check nothing is written; the exit status is 1 when a file's DI is not what this script
writes. Problems the layout cannot avoid (a flow through a shape, overlapping shapes, a label on a
flow) are printed as warnings: hand-tune those diagrams after running it.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
B = f"{{{BPMN_NS}}}"

EVENT = (36, 36)
ACTIVITY = (100, 80)
GATEWAY = (50, 50)
ACTIVITY_TAGS = {"task", "callActivity", "subProcess", "transaction", "adHocSubProcess"}

ORIGIN_X, ORIGIN_Y = 120, 60  # top left of the first participant
POOL_LABEL = 30  # band for the participant's name
LANE_LABEL = 30  # band for a lane's name
LEFT_GAP = 40  # lane label band → first column
RIGHT_GAP = 40
ROW_H = 130
LOOP_BAND = 30  # extra height under a lane that a loop runs back through
COL_ACTIVITY = 160  # column width when the column holds an activity
COL_OTHER = 120  # otherwise
POOL_GAP = 40  # between participants
LABEL_LINE = 14
LABEL_MAX_W = 96


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, margin: float = 0) -> bool:
        return not (
            self.right + margin <= other.x
            or other.right + margin <= self.x
            or self.bottom + margin <= other.y
            or other.bottom + margin <= self.y
        )


@dataclass
class Node:
    id: str
    kind: str  # event | activity | gateway
    tag: str
    name: str
    order: int
    lane: str | None = None
    host: str | None = None  # boundary events: the activity they are attached to
    col: int = 0
    row: int = 0
    box: Box | None = None
    label: Box | None = None
    sides: set[str] = field(default_factory=set)  # sides where flows touch the node


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str
    back: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)
    label: Box | None = None


def local(tag: str) -> str:
    return etree.QName(tag).localname


def kind_of(tag: str) -> str | None:
    if tag.endswith("Event"):
        return "event"
    if tag.endswith("Gateway"):
        return "gateway"
    if tag.endswith("Task") or tag in ACTIVITY_TAGS:
        return "activity"
    return None


def text_width(text: str) -> float:
    """Rough width at bpmn-js's 11px label font: wide (CJK) characters 12px, others 6.5px."""
    return sum(12 if unicodedata.east_asian_width(ch) in "WF" else 6.5 for ch in text)


def label_size(text: str) -> tuple[float, float]:
    width = text_width(text)
    lines = max(1, -(-int(width) // LABEL_MAX_W))
    return (min(LABEL_MAX_W, max(20, round(width + 4))), lines * LABEL_LINE)


class Process:
    """One bpmn:process laid out inside its participant band (or on its own)."""

    def __init__(self, el: etree._Element, participant: etree._Element | None):
        self.el = el
        self.participant = participant
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.lanes: list[tuple[str, str]] = []  # (id, name) of leaf lanes, top to bottom
        self.lane_box: dict[str, Box] = {}
        self.box: Box | None = None
        self.warnings: list[str] = []
        order = 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            tag = local(child.tag)
            if tag == "sequenceFlow":
                self.flows.append(
                    Flow(
                        child.get("id"),
                        child.get("sourceRef"),
                        child.get("targetRef"),
                        child.get("name") or "",
                    )
                )
                continue
            kind = kind_of(tag)
            if kind is None or not child.get("id"):
                continue
            node = Node(child.get("id"), kind, tag, child.get("name") or "", order)
            if tag == "boundaryEvent":
                node.host = child.get("attachedToRef")
            self.nodes[node.id] = node
            order += 1
        for lane_set in el.iterfind(f"{B}laneSet"):
            self._collect_lanes(lane_set)
        for lane_id, _ in self.lanes:
            lane_el = el.xpath(".//*[@id=$id]", id=lane_id)[0]
            for ref in lane_el.iterfind(f"{B}flowNodeRef"):
                ref_id = (ref.text or "").strip()
                if ref_id in self.nodes:
                    self.nodes[ref_id].lane = lane_id

    def _collect_lanes(self, lane_set: etree._Element) -> None:
        for lane in lane_set.iterfind(f"{B}lane"):
            children = lane.find(f"{B}childLaneSet")
            if children is not None and children.find(f"{B}lane") is not None:
                self.warnings.append(f"lane {lane.get('id')}: nested lanes are drawn flat")
                self._collect_lanes(children)
            else:
                self.lanes.append((lane.get("id"), lane.get("name") or ""))

    # --- columns and rows -------------------------------------------------------------------

    def _origin(self, node_id: str) -> str:
        node = self.nodes[node_id]
        return node.host if node.host else node_id

    def assign_grid(self) -> None:
        main = [n for n in self.nodes.values() if n.host is None]
        succ: dict[str, list[Flow]] = {n.id: [] for n in main}
        incoming: dict[str, int] = {n.id: 0 for n in main}
        for flow in self.flows:
            src, dst = self._origin(flow.source), flow.target
            if src in succ and dst in incoming:
                succ[src].append(flow)
                incoming[dst] += 1
        # Back edges by depth-first search from the nodes nothing flows into, in document order.
        state: dict[str, int] = {}
        roots = [n.id for n in main if incoming[n.id] == 0] + [n.id for n in main]
        for root in roots:
            if root in state:
                continue
            stack = [(root, iter(succ[root]))]
            state[root] = 1
            while stack:
                nid, it = stack[-1]
                flow = next(it, None)
                if flow is None:
                    state[nid] = 2
                    stack.pop()
                    continue
                if self.nodes[flow.source].host is None and state.get(flow.target) == 1:
                    flow.back = True
                elif flow.target not in state:
                    state[flow.target] = 1
                    stack.append((flow.target, iter(succ[flow.target])))
        # Longest path over the forward edges (Kahn's order; ties by document order).
        indeg = {n.id: 0 for n in main}
        for flows in succ.values():
            for flow in flows:
                if not flow.back:
                    indeg[flow.target] += 1
        ready = sorted((n for n in main if indeg[n.id] == 0), key=lambda n: n.order)
        while ready:
            node = ready.pop(0)
            for flow in succ[node.id]:
                if flow.back:
                    continue
                target = self.nodes[flow.target]
                target.col = max(target.col, node.col + 1)
                indeg[target.id] -= 1
                if indeg[target.id] == 0:
                    ready.append(target)
                    ready.sort(key=lambda n: n.order)
        # Lanes: boundary events live in their host's lane; unlaned nodes follow a neighbour.
        lane_ids = [lid for lid, _ in self.lanes]
        for node in self.nodes.values():
            if node.host:
                node.lane = self.nodes[node.host].lane
        for node in sorted(self.nodes.values(), key=lambda n: n.order):
            if node.lane is None and lane_ids:
                near = [self.nodes[f.source].lane for f in self.flows if f.target == node.id]
                near += [self.nodes[f.target].lane for f in self.flows if f.source == node.id]
                node.lane = next((lane for lane in near if lane), lane_ids[0])
                self.warnings.append(f"{node.id}: in no lane, drawn in lane {node.lane}")
        # Rows inside a lane: first free row from the preferred one.
        taken: set[tuple[str | None, int, int]] = set()
        for node in sorted(main, key=lambda n: (n.col, n.order)):
            preferred = 0
            sources = [self.nodes[f.source] for f in self.flows if f.target == node.id]
            if sources and all(s.host for s in sources):
                host = self.nodes[sources[0].host]
                if host.lane == node.lane:
                    preferred = host.row + 1
            row = preferred
            while (node.lane, row, node.col) in taken:
                row += 1
            node.row = row
            taken.add((node.lane, row, node.col))
        for node in self.nodes.values():
            if node.host:
                host = self.nodes[node.host]
                node.col, node.row = host.col, host.row

    # --- geometry ---------------------------------------------------------------------------

    def place(self, top: float) -> float:
        """Give every shape its bounds with the band's top edge at `top`; return its bottom."""
        cols = max((n.col for n in self.nodes.values()), default=0) + 1
        widths = [COL_OTHER] * cols
        for node in self.nodes.values():
            if node.kind == "activity":
                widths[node.col] = COL_ACTIVITY
        lane_x = ORIGIN_X + (POOL_LABEL if self.participant is not None else 0)
        centers, x = [], lane_x + LANE_LABEL + LEFT_GAP
        for width in widths:
            centers.append(x + width / 2)
            x += width
        right = x + RIGHT_GAP
        loop_lanes = {self.nodes[self._origin(f.source)].lane for f in self.flows if f.back}
        bands = self.lanes or [(None, "")]
        y = top
        row_top: dict[tuple[str | None, int], float] = {}
        for lane_id, _ in bands:
            rows = max((n.row for n in self.nodes.values() if n.lane == lane_id), default=0) + 1
            for r in range(rows):
                row_top[(lane_id, r)] = y + r * ROW_H
            height = rows * ROW_H + (LOOP_BAND if lane_id in loop_lanes else 0)
            if lane_id is not None:
                self.lane_box[lane_id] = Box(lane_x, y, right - lane_x, height)
            y += height
        self.box = Box(ORIGIN_X, top, right - ORIGIN_X, y - top)
        for node in self.nodes.values():
            if node.host:
                continue
            w, h = {"event": EVENT, "activity": ACTIVITY, "gateway": GATEWAY}[node.kind]
            cy = row_top[(node.lane, node.row)] + ROW_H / 2
            node.box = Box(centers[node.col] - w / 2, cy - h / 2, w, h)
        attached: dict[str, int] = {}
        for node in sorted(self.nodes.values(), key=lambda n: n.order):
            if not node.host:
                continue
            host = self.nodes[node.host].box
            k = attached.get(node.host, 0)
            attached[node.host] = k + 1
            cx = host.right - 20 - k * 40
            node.box = Box(cx - EVENT[0] / 2, host.bottom - EVENT[1] / 2, *EVENT)
            node.sides.add("top")  # the activity is there
        return y

    def route(self) -> None:
        loops_per_lane: dict[str | None, int] = {}
        for flow in self.flows:
            if flow.source not in self.nodes or flow.target not in self.nodes:
                self.warnings.append(f"{flow.id}: source or target is not a flow node here")
                continue
            s, t = self.nodes[flow.source], self.nodes[flow.target]
            a, b = s.box, t.box
            if s.host:  # down out of the boundary event, then across into the target
                pts = [(a.cx, a.bottom)]
                if abs(b.cy - a.cy) < 1:
                    pts = [(a.right, a.cy), (b.x, b.cy)]
                elif b.cy > a.bottom:
                    pts += [(a.cx, b.cy), (b.x, b.cy)] if b.x > a.cx else [(b.cx, b.y)]
                else:
                    pts = [(a.right, a.cy), (b.cx, a.cy), (b.cx, b.bottom)]
            elif flow.back:
                lane = self.lane_box.get(s.lane) if s.lane else None
                n = loops_per_lane.get(s.lane, 0)
                loops_per_lane[s.lane] = n + 1
                channel = (lane.bottom if lane else self.box.bottom) - LOOP_BAND / 2 - n * 8
                end = (b.cx, b.bottom) if b.cy < channel else (b.cx, b.y)
                pts = [(a.cx, a.bottom), (a.cx, channel), (b.cx, channel), end]
            elif abs(a.cy - b.cy) < 1:
                pts = [(a.right, a.cy), (b.x, b.cy)]
            elif s.kind == "gateway":  # out of the vertex facing the target, then across
                start = (a.cx, a.y) if b.cy < a.cy else (a.cx, a.bottom)
                pts = [start, (a.cx, b.cy), (b.x, b.cy)]
            else:  # across, then down/up into the target
                end = (b.cx, b.y) if b.cy > a.cy else (b.cx, b.bottom)
                pts = [(a.right, a.cy), (b.cx, a.cy), end]
            flow.points = pts
            s.sides.add(side_of(a, pts[0]))
            t.sides.add(side_of(b, pts[-1]))

    def place_labels(self) -> None:
        for node in self.nodes.values():
            if not node.name or node.kind == "activity":
                continue
            w, h = label_size(node.name)
            a = node.box
            if node.host:
                node.label = Box(a.cx + 8, a.bottom + 4, w, h)
                continue
            order = ["bottom", "top", "right", "left"]
            if node.kind == "gateway":
                order = ["top", "right", "bottom", "left"]
            side = next((s for s in order if s not in node.sides), order[0])
            node.label = {
                "bottom": Box(a.cx - w / 2, a.bottom + 5, w, h),
                "top": Box(a.cx - w / 2, a.y - 5 - h, w, h),
                "right": Box(a.right + 6, a.cy - h / 2, w, h),
                "left": Box(a.x - 6 - w, a.cy - h / 2, w, h),
            }[side]
        for flow in self.flows:
            if not flow.name or len(flow.points) < 2:
                continue
            w, h = label_size(flow.name)
            (x1, y1), (x2, y2) = flow.points[0], flow.points[1]
            # Next to the source (where a reader looks for a gateway's conditions).
            if abs(x1 - x2) < 1:  # vertical first segment: to its right
                flow.label = Box(x1 + 6, y1 - 10 - h if y2 < y1 else y1 + 14, w, h)
            else:  # horizontal: above it
                flow.label = Box(x1 + 14 if x2 > x1 else x1 - 14 - w, y1 - 4 - h, w, h)

    def check(self) -> None:
        shapes = [n for n in self.nodes.values() if n.box]
        for i, p in enumerate(shapes):
            for q in shapes[i + 1 :]:
                if p.host == q.id or q.host == p.id:
                    continue
                if p.box.overlaps(q.box):
                    self.warnings.append(f"shapes overlap: {p.id} and {q.id}")
        labels = [(f"label of {n.id}", n.label) for n in self.nodes.values() if n.label]
        labels += [(f"label of {f.id}", f.label) for f in self.flows if f.label]
        for name, box in labels:
            for node in shapes:
                if box.overlaps(node.box):
                    self.warnings.append(f"{name} overlaps {node.id}")
        for flow in self.flows:
            for (x1, y1), (x2, y2) in zip(flow.points, flow.points[1:], strict=False):
                seg = Box(min(x1, x2), min(y1, y2), abs(x1 - x2) or 0.01, abs(y1 - y2) or 0.01)
                for node in shapes:
                    if (
                        node.id in (flow.source, flow.target)
                        or node.id == self.nodes.get(flow.source, node).host
                    ):
                        continue
                    inner = Box(node.box.x + 1, node.box.y + 1, node.box.w - 2, node.box.h - 2)
                    if seg.overlaps(inner):
                        self.warnings.append(f"{flow.id} runs through {node.id}")
                for name, box in labels:
                    if seg.overlaps(box) and not name.endswith(flow.id):
                        self.warnings.append(f"{flow.id} runs through the {name}")


def side_of(box: Box, point: tuple[float, float]) -> str:
    x, y = point
    if abs(y - box.y) < 1:
        return "top"
    if abs(y - box.bottom) < 1:
        return "bottom"
    return "left" if abs(x - box.x) < 1 else "right"


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bounds(box: Box, pad: str) -> str:
    return (
        f'{pad}<dc:Bounds x="{fmt(box.x)}" y="{fmt(box.y)}" '
        f'width="{fmt(box.w)}" height="{fmt(box.h)}" />'
    )


def label_xml(box: Box | None, pad: str) -> list[str]:
    if box is None:
        return []
    return [f"{pad}<bpmndi:BPMNLabel>", bounds(box, pad + "  "), f"{pad}</bpmndi:BPMNLabel>"]


def render_di(root: etree._Element) -> tuple[str, list[str]]:
    """The bpmndi:BPMNDiagram element for a parsed document (prefixes bpmndi/dc/di), warnings."""
    processes = {p.get("id"): p for p in root.iterfind(f"{B}process")}
    collaboration = root.find(f"{B}collaboration")
    laid: list[Process] = []
    if collaboration is not None:
        for participant in collaboration.iterfind(f"{B}participant"):
            ref = participant.get("processRef")
            if ref in processes:
                laid.append(Process(processes[ref], participant))
        plane_of = collaboration.get("id")
    else:
        if len(processes) != 1:
            raise SystemExit("several processes without a collaboration: add a collaboration")
        laid.append(Process(next(iter(processes.values())), None))
        plane_of = laid[0].el.get("id")
    warnings: list[str] = []
    top = ORIGIN_Y
    for proc in laid:
        if proc.participant is None and proc.lanes:
            proc.warnings.append("lanes without a participant are not drawn: add a collaboration")
            proc.lanes = []
            for node in proc.nodes.values():
                node.lane = None
        proc.assign_grid()
        top = proc.place(top) + POOL_GAP
        proc.route()
        proc.place_labels()
        proc.check()
        warnings += [f"{proc.el.get('id')}: {w}" for w in proc.warnings]

    p1, p2, p3, p4 = "  ", "    ", "      ", "        "
    out = [
        f'{p1}<bpmndi:BPMNDiagram id="BPMNDiagram_{plane_of}">',
        f'{p2}<bpmndi:BPMNPlane id="BPMNPlane_{plane_of}" bpmnElement="{plane_of}">',
    ]
    for proc in laid:
        if proc.participant is not None:
            pid = proc.participant.get("id")
            out += [
                f'{p3}<bpmndi:BPMNShape id="{pid}_di" bpmnElement="{pid}" isHorizontal="true">',
                bounds(proc.box, p4),
                f"{p3}</bpmndi:BPMNShape>",
            ]
            for lane_id, _ in proc.lanes:
                out += [
                    f'{p3}<bpmndi:BPMNShape id="{lane_id}_di" bpmnElement="{lane_id}" '
                    'isHorizontal="true">',
                    bounds(proc.lane_box[lane_id], p4),
                    f"{p3}</bpmndi:BPMNShape>",
                ]
        # Activities before boundary events, so the events are drawn on top.
        for node in sorted(proc.nodes.values(), key=lambda n: (n.host is not None, n.order)):
            extra = ' isMarkerVisible="true"' if node.tag == "exclusiveGateway" else ""
            if node.tag in ("subProcess", "transaction", "adHocSubProcess"):
                extra = ' isExpanded="false"'
            out += [
                f'{p3}<bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{extra}>',
                bounds(node.box, p4),
                *label_xml(node.label, p4),
                f"{p3}</bpmndi:BPMNShape>",
            ]
        for flow in proc.flows:
            if not flow.points:
                continue
            out.append(f'{p3}<bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">')
            out += [f'{p4}<di:waypoint x="{fmt(x)}" y="{fmt(y)}" />' for x, y in flow.points]
            out += label_xml(flow.label, p4)
            out.append(f"{p3}</bpmndi:BPMNEdge>")
    out += [f"{p2}</bpmndi:BPMNPlane>", f"{p1}</bpmndi:BPMNDiagram>"]
    return "\n".join(out), warnings


DIAGRAM_RE = re.compile(r"\n?[ \t]*<(\w+:)?BPMNDiagram\b.*?</\1BPMNDiagram>[ \t]*", re.S)


def with_di(text: str) -> tuple[str, list[str]]:
    """The file's text with its DI replaced by a fresh layout; everything else unchanged."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(text.encode("utf-8"), parser)
    if etree.QName(root).namespace != BPMN_NS or local(root.tag) != "definitions":
        raise SystemExit("not a BPMN definitions document")
    bound = set(root.nsmap.items())
    for prefix, uri in (("bpmndi", BPMNDI_NS), ("dc", DC_NS), ("di", DI_NS)):
        if (prefix, uri) not in bound and root.nsmap.get(prefix) not in (None, uri):
            raise SystemExit(f"prefix {prefix} is bound to another namespace")
    diagram, warnings = render_di(root)
    body = DIAGRAM_RE.sub("", text)
    start = re.search(r"<(\w+:)?definitions\b[^>]*?(/?)>", body)
    missing = "".join(
        f'\n    xmlns:{prefix}="{uri}"'
        for prefix, uri in (("bpmndi", BPMNDI_NS), ("dc", DC_NS), ("di", DI_NS))
        if root.nsmap.get(prefix) != uri
    )
    cut = start.end() - 1 - len(start.group(2))
    body = body[:cut] + missing + body[cut:]
    closing = body.rfind("</")
    body = body[:closing].rstrip() + "\n" + diagram + "\n" + body[closing:]
    etree.fromstring(body.encode("utf-8"), parser)  # still well-formed
    return body, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="write nothing; 1 if out of date")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        new, warnings = with_di(text)
        for warning in warnings:
            print(f"{path}: warning: {warning}", file=sys.stderr)
        if args.check:
            if new != text:
                print(f"{path}: DI is not the generated layout", file=sys.stderr)
                status = 1
        elif new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: DI written")
        else:
            print(f"{path}: unchanged")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
