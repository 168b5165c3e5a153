"""Every diagram in bpmn/ can be drawn: BPMN DI for every flow node, sequence flow, lane and
participant (bpmn-js draws nothing for an element without it), laid out cleanly; and
scripts/bpmn_layout.py can give a diagram without DI a complete one."""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {
    "bpmn": BPMN,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "complexGateway",
    "eventBasedGateway", "task", "userTask", "manualTask", "scriptTask", "serviceTask",
    "sendTask", "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
    "adHocSubProcess",
}  # fmt: skip
TOLERANCE = 2


def _layout_module():
    spec = importlib.util.spec_from_file_location("bpmn_layout", ROOT / "scripts/bpmn_layout.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bpmn_layout", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False))


def _local(el) -> str:
    return etree.QName(el).localname


def _box(shape) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    assert b is not None, f"{shape.get('bpmnElement')}: shape without dc:Bounds"
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def _overlap(a, b) -> bool:
    return not (
        a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
    )


def _touches(point, box) -> bool:
    x, y = point
    bx, by, bw, bh = box
    return bx - TOLERANCE <= x <= bx + bw + TOLERANCE and by - TOLERANCE <= y <= by + bh + TOLERANCE


class Drawing:
    """The semantic elements of a document and the DI that draws them."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.processes = root.findall("bpmn:process", NS)
        self.nodes = {
            el.get("id"): el
            for p in self.processes
            for el in p.iter(f"{{{BPMN}}}*")
            if _local(el) in FLOW_NODES
        }
        self.flows = {
            el.get("id"): el for p in self.processes for el in p.iter(f"{{{BPMN}}}sequenceFlow")
        }
        self.lanes = [el.get("id") for el in root.iter(f"{{{BPMN}}}lane")]
        self.participants = [el.get("id") for el in root.iter(f"{{{BPMN}}}participant")]
        self.shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
        self.edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}

    def missing(self) -> list[str]:
        wanted = [*self.nodes, *self.lanes, *self.participants]
        return [i for i in wanted if i not in self.shapes] + [
            i for i in self.flows if i not in self.edges
        ]


@pytest.fixture(params=DIAGRAMS, ids=lambda p: p.name)
def drawing(request) -> Drawing:
    return Drawing(_parse(request.param.read_text(encoding="utf-8")))


def test_there_are_diagrams():
    assert DIAGRAMS, "bpmn/ holds no .bpmn file"


def test_every_element_is_drawn(drawing):
    assert drawing.processes
    assert drawing.nodes and drawing.flows
    assert drawing.missing() == [], "elements without BPMN DI (run scripts/bpmn_layout.py)"
    planes = drawing.root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert planes, "no bpmndi:BPMNDiagram/BPMNPlane"
    ids = set(drawing.root.xpath("//@id"))
    for plane in planes:
        assert plane.get("bpmnElement") in ids
    # A DI element pointing at nothing is an import warning in bpmn-js.
    refs = [*drawing.shapes, *drawing.edges]
    assert [r for r in refs if r not in ids] == []
    count = len(drawing.root.xpath("//bpmndi:BPMNShape | //bpmndi:BPMNEdge", namespaces=NS))
    assert count == len(refs), "an element is drawn twice"


def check_edges(drawing: Drawing) -> None:
    for flow_id, flow in drawing.flows.items():
        edge = drawing.edges[flow_id]
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert len(points) >= 2, flow_id
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow_id}: diagonal segment"
        source = drawing.shapes[flow.get("sourceRef")]
        target = drawing.shapes[flow.get("targetRef")]
        assert _touches(points[0], _box(source)), f"{flow_id} does not leave its source"
        assert _touches(points[-1], _box(target)), f"{flow_id} does not reach its target"


def check_shapes(drawing: Drawing) -> None:
    boxes = {i: _box(drawing.shapes[i]) for i in drawing.nodes}
    hosts = {i: el.get("attachedToRef") for i, el in drawing.nodes.items()}
    for a, b in itertools.combinations(boxes, 2):
        if hosts[a] == b or hosts[b] == a:
            continue
        assert not _overlap(boxes[a], boxes[b]), f"{a} and {b} overlap"
    for lane in drawing.root.iter(f"{{{BPMN}}}lane"):
        lx, ly, lw, lh = _box(drawing.shapes[lane.get("id")])
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = boxes[ref.text.strip()]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (
                f"{ref.text.strip()} is drawn outside lane {lane.get('name')}"
            )


def check_boundary_events(drawing: Drawing) -> None:
    for node_id, el in drawing.nodes.items():
        if _local(el) != "boundaryEvent":
            continue
        x, y, w, h = _box(drawing.shapes[node_id])
        hx, hy, hw, hh = _box(drawing.shapes[el.get("attachedToRef")])
        cx, cy = x + w / 2, y + h / 2
        on_horizontal = abs(cy - hy) <= TOLERANCE or abs(cy - (hy + hh)) <= TOLERANCE
        on_vertical = abs(cx - hx) <= TOLERANCE or abs(cx - (hx + hw)) <= TOLERANCE
        assert (on_horizontal and hx <= cx <= hx + hw) or (on_vertical and hy <= cy <= hy + hh), (
            f"{node_id} is not on the border of {el.get('attachedToRef')}"
        )


def check_labels(drawing: Drawing) -> None:
    for node_id, el in drawing.nodes.items():
        kind = _local(el)
        if el.get("name") and (kind.endswith("Event") or kind.endswith("Gateway")):
            label = drawing.shapes[node_id].find("bpmndi:BPMNLabel/dc:Bounds", NS)
            assert label is not None, f"{node_id}: named but no label bounds"


def test_edges_are_orthogonal_and_touch_their_ends(drawing):
    check_edges(drawing)


def test_shapes_do_not_overlap_and_sit_in_their_lane(drawing):
    check_shapes(drawing)


def test_boundary_events_sit_on_their_activity_border(drawing):
    check_boundary_events(drawing)


def test_named_events_and_gateways_have_label_bounds(drawing):
    check_labels(drawing)


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_layout_script_draws_a_diagram_without_di(path):
    layout = _layout_module()
    text = path.read_text(encoding="utf-8")
    bare = layout.DIAGRAM_RE.sub("", text)
    assert Drawing(_parse(bare)).missing(), "stripping the DI left it drawn?"
    drawn, warnings = layout.with_di(bare)
    assert warnings == []
    redrawn = Drawing(_parse(drawn))
    assert redrawn.missing() == []
    for check in (check_edges, check_shapes, check_boundary_events, check_labels):
        check(redrawn)
    # Only the DI (and its namespace declarations) differ: semantics stay byte for byte.
    declarations = re.compile(r'\s+xmlns:(bpmndi|dc|di)="[^"]*"')
    assert declarations.sub("", layout.DIAGRAM_RE.sub("", drawn)) == declarations.sub("", bare)
    assert layout.with_di(drawn)[0] == drawn, "the layout is not deterministic"
