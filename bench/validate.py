"""Live-lint speed: bpmn.validation.lint_xml on a generated diagram (a benchmark, not a test).

The diagram is what the studio sends while a designer edits: a pool with four lanes, a chain of user tasks
with budgets, forms and outcomes, an exclusive gateway after every other task (a default flow back, one
conditioned flow on), a refusal end, and the BPMNDI drawing of every shape and edge. `--elements` counts
flow nodes plus sequence flows (lanes and drawing not counted). Prints p50/p95/max server time per lint.

Then the studio's endpoint, POST /studio/<slug>/lint through the Flask test client (routing, session, CSRF,
JSON in and out, engine.studio.lint.validate_draft on the whole draft package with the organisation read from
a SQLite database) on the birth-registration draft grown to about 200 elements (bench/studio.py's `grown`),
with its parts timed in the same run: validate_draft alone and lint_xml alone on that diagram.

    .venv/bin/python bench/validate.py [--elements 200] [--runs 60] [--no-endpoint]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpmn.durations import Deadline  # noqa: E402
from bpmn.validation import lint_xml  # noqa: E402

ROLES = ("specialist", "head", "leader", "clerk")


def make_diagram(elements: int) -> tuple[str, int]:
    """A valid diagram with about `elements` flow nodes + flows; returns (xml, exact count)."""
    nodes, flows, shapes, lane_refs = [], [], [], {r: [] for r in ROLES}
    x = 100

    def node(xml: str, nid: str, role: str) -> None:
        nonlocal x
        nodes.append(xml)
        lane_refs[role].append(nid)
        shapes.append(f'<bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}"><dc:Bounds x="{x}" y="100" '
                      f'width="100" height="80" /></bpmndi:BPMNShape>')
        x += 150

    def flow(fid: str, source: str, target: str, condition: str | None = None) -> None:
        cond = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
                f'</bpmn:conditionExpression>' if condition else "")
        flows.append(f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{cond}'
                      f'</bpmn:sequenceFlow>')
        shapes.append(f'<bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}"><di:waypoint x="{x}" y="140" />'
                      f'<di:waypoint x="{x + 50}" y="140" /></bpmndi:BPMNEdge>')

    node('<bpmn:startEvent id="start" />', "start", "specialist")
    previous, i = "start", 0
    while len(nodes) + len(flows) < elements - 6:
        i += 1
        tid, role = f"task_{i}", ROLES[i % len(ROLES)]
        outcomes = "approve,refuse" if i % 2 == 0 else ""
        props = '<spiffworkflow:property name="budget" value="PT1M" /><spiffworkflow:property name="form" ' \
                'value="step.json" />' + (f'<spiffworkflow:property name="outcomes" value="{outcomes}" />'
                                          if outcomes else "")
        node(f'<bpmn:userTask id="{tid}" name="Bước {i}"><bpmn:extensionElements><spiffworkflow:properties>'
             f'{props}</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>', tid, role)
        flow(f"f_{i}", previous, tid)
        previous = tid
        if outcomes:  # a gateway: refuse ends, the default flow goes on to the next task
            gw = f"gw_{i}"
            node(f'<bpmn:exclusiveGateway id="{gw}" default="f_{i}_ok" />', gw, role)
            flow(f"f_{i}_gw", tid, gw)
            flow(f"f_{i}_no", gw, "end_refused", 'outcome == "refuse"')
            i += 1
            tid2, role2 = f"task_{i}", ROLES[i % len(ROLES)]
            node(f'<bpmn:userTask id="{tid2}" name="Bước {i}"><bpmn:extensionElements><spiffworkflow:properties>'
                 f'<spiffworkflow:property name="budget" value="PT1M" /><spiffworkflow:property name="form" '
                 f'value="step.json" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>',
                 tid2, role2)
            flow(f"f_{i - 1}_ok", gw, tid2)
            previous = tid2
    node('<bpmn:endEvent id="end" />', "end", "specialist")
    flow("f_end", previous, "end")
    node('<bpmn:endEvent id="end_refused" name="Từ chối"><bpmn:extensionElements><spiffworkflow:properties>'
         '<spiffworkflow:property name="status" value="refused" /></spiffworkflow:properties>'
         '</bpmn:extensionElements></bpmn:endEvent>', "end_refused", "leader")
    lanes = "".join(f'<bpmn:lane id="lane_{r}" name="{r}">' + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>"
                                                                    for n in refs) + "</bpmn:lane>"
                    for r, refs in lane_refs.items())
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
           'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
           'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="t">\n'
           '<bpmn:collaboration id="collab"><bpmn:participant id="pool" processRef="bench" /></bpmn:collaboration>\n'
           f'<bpmn:process id="bench" isExecutable="true"><bpmn:laneSet id="ls">{lanes}</bpmn:laneSet>\n'
           + "\n".join(nodes + flows) + '\n</bpmn:process>\n<bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" '
           'bpmnElement="collab">' + "".join(shapes) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")
    return xml, len(nodes) + len(flows)


class _Meta:
    process_id = "bench"
    deadline = Deadline("working_days", 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=200)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--no-endpoint", action="store_true", help="skip the studio endpoint's figures")
    args = parser.parse_args()
    xml, count = make_diagram(args.elements)
    forms = {"step.json": {"type": "object", "properties": {"note": {"type": "string"}}}}
    first = lint_xml(xml, meta=_Meta(), forms=forms)
    errors = [m for m in first if m["severity"] == "error"]
    if errors:
        raise SystemExit(f"the generated diagram should be valid: {errors[:3]}")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        lint_xml(xml, meta=_Meta(), forms=forms)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"lint_xml on a {count}-element diagram ({len(xml):,} bytes, {len(first)} warnings), {args.runs} runs: "
          f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms (budget 200 ms)")
    if not args.no_endpoint:
        endpoint(args.runs)


def _figures(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"


def _timed(runs: int, call) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def endpoint(runs: int) -> None:
    """The studio's live-lint endpoint on a ~200-element draft, and its parts, in one run."""
    import importlib.util
    import re
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    import tomllib

    from sqlalchemy import select
    from support import PASSWORD

    from api import create_app
    from bpmn.package import read_meta
    from engine.models import User
    from engine.studio.lint import live_lint, validate_draft
    from engine.versioning import drafts

    spec = importlib.util.spec_from_file_location("bench_studio", Path(__file__).with_name("studio.py"))
    bench_studio = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_studio)
    slug = bench_studio.SLUG
    with tempfile.TemporaryDirectory() as tmp:
        rt = bench_studio.library_runtime(tmp)
        with rt.sessions() as s:
            designer = s.scalars(select(User).where(User.username == "tinh.designer")).one()
            draft = drafts.start_draft(s, slug, actor=designer, now=rt.clock.now())
            s.commit()
            big = bench_studio.grown(draft.bpmn_text, 85)
            toml_text, forms = draft.toml_text, draft.forms
        count = len(re.findall(r"<bpmn:(?:userTask|sequenceFlow|exclusiveGateway|startEvent|endEvent|"
                               r"intermediateCatchEvent|boundaryEvent|scriptTask|parallelGateway) ", big))
        client = create_app(runtime=rt).test_client()
        page = client.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/dang-nhap", data={"username": "tinh.designer", "password": PASSWORD,
                                                "csrf_token": token}).status_code == 302
        token = re.search(r'data-csrf="([^"]+)"', client.get(f"/studio/{slug}").get_data(as_text=True)).group(1)
        body = {"bpmn": big, "forms": forms, "toml": toml_text}

        def post():
            response = client.post(f"/studio/{slug}/lint", json=body, headers={"X-CSRF-Token": token})
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return response.get_json()["messages"]

        errors = [m for m in post() if m["severity"] == "error"]
        assert not errors, errors[:3]
        web = _timed(runs, post)
        with rt.sessions() as s:
            whole = _timed(runs, lambda: validate_draft(rt, s, slug=slug, toml_text=toml_text, bpmn_text=big,
                                                        forms=forms))
            meta = read_meta(tomllib.loads(toml_text), slug)[0]
            diagram = _timed(runs, lambda: live_lint(rt, s, big, meta=meta, forms=forms))
        print(f"studio endpoint POST /studio/{slug}/lint, {count}-element draft ({len(big):,} bytes), {runs} runs: "
              f"{_figures(web)} (budget 200 ms)")
        print(f"  of which validate_draft (whole package, temporary folder, organisation): {_figures(whole)}")
        print(f"  live_lint (diagram only, same rules): {_figures(diagram)}")


if __name__ == "__main__":
    main()
