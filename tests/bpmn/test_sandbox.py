"""Hard bounds on every script and expression (issue 10, item 1): code that passes the static policy but
holds the interpreter in one C-level step runs in a helper process, which is killed at its bound; the
worker thread waits without the GIL, so other threads go on. Also: data a script leaves must be storable
(item 4) and durations are bounded (item 8a)."""
from __future__ import annotations

import os
import threading
import time

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bpmn import sandbox
from bpmn.durations import parse_duration
from bpmn.scripts import check_script, make_script_engine, trivially_bounded

WALL = 1.0
LIMITS = sandbox.Limits(cpu_seconds=1, memory_mb=256, wall_seconds=WALL, workers=2)
#: the slack allowed past the wall-clock bound: killing and reaping the helper, a loaded test machine
SLACK = 1.5

# Each passes `motcua validate`; before the sandbox each held the interpreter for seconds or for ever.
STALLING_CONDITIONS = {
    "compare": "[[0] * 100000] * 100000 == [[0] * 100000] * 100000",
    "compare 3 deep": "[[[0] * 100000] * 100000] * 100000 == [[[0] * 100000] * 100000] * 100000",
    "str of 10 GB": "len(str(['a' * 100000] * 100000)) > 0",
    "sorted 80 GB": "len(sorted([[0] * 100000] * 100000, key=list)) > 0",
    "max key=str": "len(str(max([[0] * 100000] * 100000, key=str))) > 0",
}
_ALIASED = "t = (1,)\nfor i in range(80):\n    t = (t, t)\n"
STALLING_SCRIPTS = {
    "max key=str": "l = [[0] * 100000] * 100000\nm = max(l, key=str)\nn = 1",
    "hash of an aliased tuple": _ALIASED + "n = len({t})",
    "isinstance over nested tuples": "c = (int,)\nfor i in range(80):\n    c = (c, c)\nn = isinstance('a', c)",
    "f-string of an aliased list": "l = [1]\nfor i in range(80):\n    l = [l, l]\nn = len(f'{l}')",
    "slice assignment doubling": "x = [0] * 100000\nfor i in range(40):\n    x[:0] = x\nn = len(x)",
    "hex doubling": "s = 'a' * 100000\nfor i in range(40):\n    s = s.encode().hex()\nn = len(s)",
    "encode doubling": "s = 'a' * 100000\nfor i in range(40):\n    s = s.encode('utf-32').decode('latin-1')\nn = 1",
}


def _spec(script: str = "x = 1", condition: str = "True"):
    """start -> script task sc -> gateway g (condition | default) -> ends; no validation (forced)."""
    xml = f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sc"/>
<bpmn:scriptTask id="sc" name="Tính toán"><bpmn:script><![CDATA[{script}]]></bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="sc" targetRef="g"/><bpmn:exclusiveGateway id="g" default="f4"/>
<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e1">
  <bpmn:conditionExpression><![CDATA[{condition}]]></bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="e2"/>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/></bpmn:process></bpmn:definitions>"""
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode(), filename="forced.bpmn")
    return parser.get_spec("p")


@pytest.fixture(scope="module")
def box():
    b = sandbox.Sandbox(LIMITS)
    yield b
    b.shutdown()


def _run(spec, box, data=None) -> BpmnWorkflow:
    wf = BpmnWorkflow(spec, script_engine=make_script_engine(sandbox=box))
    wf.task_tree.set_data(**(data or {}))
    wf.do_engine_steps()
    return wf


def _stalls_within_the_bound(spec, box, element: str) -> str:
    """Run `spec`, which must fail at `element` within the bound while another thread keeps running."""
    gaps, stop = [], threading.Event()

    def other_request():  # another request of the same process: it must get the interpreter
        last = time.perf_counter()
        while not stop.wait(0.01):
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    other = threading.Thread(target=other_request)
    other.start()
    started = time.perf_counter()
    try:
        with pytest.raises(WorkflowTaskException) as info:
            _run(spec, box)
    finally:
        stop.set()
        other.join()
    elapsed = time.perf_counter() - started
    assert info.value.task.task_spec.bpmn_id == element
    assert elapsed < WALL + SLACK, elapsed
    assert max(gaps) < 0.3, f"another thread waited {max(gaps):.2f} s"
    assert info.value.error_type == "ScriptLimitError"
    return f"{info.value} ({info.value.__context__})"


@pytest.mark.parametrize("name", STALLING_CONDITIONS)
def test_a_stalling_condition_is_stopped_at_the_bound_and_names_the_gateway(name, box):
    condition = STALLING_CONDITIONS[name]
    assert check_script(condition, "eval") == []  # the static policy lets it through
    message = _stalls_within_the_bound(_spec(condition=condition), box, "g")
    assert "bound" in message or "limit" in message, message


@pytest.mark.parametrize("name", STALLING_SCRIPTS)
def test_a_stalling_script_is_stopped_at_the_bound_and_names_the_task(name, box):
    script = STALLING_SCRIPTS[name]
    assert check_script(script, "exec") == []
    message = _stalls_within_the_bound(_spec(script=script), box, "sc")
    assert "bound" in message or "limit" in message, message


def test_a_killed_helper_is_replaced_and_the_next_evaluation_works(box):
    with pytest.raises(WorkflowTaskException):
        _run(_spec(condition=STALLING_CONDITIONS["compare"]), box)
    started = box.started
    wf = _run(_spec(script="x = [i * 2 for i in range(5)]", condition="sum(x) == 20"), box)
    assert wf.completed and wf.last_task.data["x"] == [0, 2, 4, 6, 8]
    assert box.started == started + 1  # a new helper, reused afterwards
    _run(_spec(script="y = 1"), box)
    assert box.started == started + 1


def test_errors_keep_their_type_and_line(box):
    with pytest.raises(WorkflowTaskException) as info:
        _run(_spec(script="a = 1\nb = 2\nc = a / (b - 2)"), box)
    assert info.value.error_type == "ZeroDivisionError" and info.value.line_number == 3


def test_host_functions_run_in_the_parent():
    calls = []

    def remember(value):
        calls.append((os.getpid(), value))
        return value * 2

    b = sandbox.Sandbox(LIMITS)
    try:
        engine = make_script_engine({"remember": remember}, sandbox=b)
        wf = BpmnWorkflow(_spec(script="y = remember(21)\nfor i in range(2):\n    z = remember(i)"),
                          script_engine=engine)
        wf.do_engine_steps()
        assert wf.last_task.data["y"] == 42 and calls == [(os.getpid(), 21), (os.getpid(), 0), (os.getpid(), 1)]
        assert b.started == 1
    finally:
        b.shutdown()


def test_trivially_bounded_expressions_stay_in_process():
    for ok in ('outcome == "approve"', "amount > 10 and not urgent", 'data["k"][0] in ("a", "b")',
               'add_working_time(received_at, "PT4H")', "len(items) >= 2 or x is None", "a + b < c - 1"):
        assert trivially_bounded(ok, frozenset({"add_working_time"})), ok
    for sandboxed in ("x * 2 > 1", "str(x) == 'a'", "sorted(x) == x", "x.upper() == 'A'", "f'{x}' == 'a'",
                      "max(l, key=str)", "len(*x)", "{**d} == d", "x ** 2 > 1"):
        assert not trivially_bounded(sandboxed, frozenset({"add_working_time"})), sandboxed


def test_a_gateway_condition_costs_no_helper_process():
    b = sandbox.Sandbox(LIMITS)
    environment = make_script_engine(sandbox=b).environment
    assert environment.evaluate('outcome == "approve"', {"outcome": "approve"}) is True
    assert b.started == 0


def test_a_forked_process_starts_its_own_helpers(box):
    _run(_spec(script="y = 1"), box)  # the parent has a helper
    before = box.started
    pid = os.fork()
    if pid == 0:  # the child (as a gunicorn worker forked after the app loaded)
        code = 1
        try:
            wf = _run(_spec(script="y = 2"), box)
            code = 0 if wf.last_task.data["y"] == 2 and box.started == before + 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    wf = _run(_spec(script="y = 3"), box)  # the parent's helper still answers
    assert wf.last_task.data["y"] == 3


# --- item 4: data a script leaves must be storable ----------------------------------------------------
UNSTORABLE = {
    "generator": ("g = (i for i in [1, 2])", "in g: a generator"),
    "tuple key": ("d = {(1, 2): 'a'}", "a key that cannot be stored in d: a tuple"),
    "surrogate": ("s = 'a' + '\\udc80'", "not valid Unicode in s"),
    "1,000 deep": ("x = []\nfor i in range(1000):\n    x = [x]", "nested deeper than 100 levels"),
    "bytes": ("b = 'a'.encode()", "in b: a bytes"),
}


@pytest.mark.parametrize("name", UNSTORABLE)
def test_data_that_cannot_be_stored_is_refused_naming_the_script_task(name, box):
    script, fragment = UNSTORABLE[name]
    with pytest.raises(WorkflowTaskException) as info:
        _run(_spec(script=script), box)
    assert info.value.task.task_spec.bpmn_id == "sc"
    assert fragment in str(info.value), str(info.value)
    assert info.value.task.state == TaskState.ERROR


# --- item 8a: durations are bounded -------------------------------------------------------------------
@pytest.mark.parametrize("text", ["PT99999999H", "P3651D", "PT29201H", "P3000DT10000H", "P" + "9" * 5000 + "D"])
def test_a_duration_over_ten_years_is_refused_quickly(text):
    started = time.perf_counter()
    with pytest.raises(ValueError, match="ten years|too long"):
        parse_duration(text)
    assert time.perf_counter() - started < 0.05


def test_ten_years_is_accepted():
    assert parse_duration("P3650D").days == 3650 and parse_duration("PT29200H").seconds == 29200 * 3600
