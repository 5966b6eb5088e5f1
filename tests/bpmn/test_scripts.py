"""The script policy, statically (check_script) and at run time: a diagram that bypassed validation is
refused when its script, condition or pre-script runs, the task is named, and nothing happens."""
from __future__ import annotations

import time

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bpmn.scripts import MAX_RANGE, ScriptPolicyError, check_script, make_script_engine

ESCAPE = ("w = [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == 'catch_warnings'][0]\n"
          "imp = w()._module.__builtins__['__import__']\n"
          "imp('os').makedirs(target)")
HOSTILE = {  # name -> (script, a fragment of check_script's message)
    "import": ("import os\nos.makedirs(target)", "import statements are not allowed"),
    "open": ("open(target, 'w').write('x')", "open() is not allowed"),
    "dunder escape": (ESCAPE, "attribute '__class__' is not allowed"),
    "getattr": ("cls = getattr(target, '__class__')", "getattr() is not allowed"),
    "while": ("while True:\n    pass", "while loops are not allowed"),
    "__import__": ("__import__('os').makedirs(target)", "name '__import__' is not allowed"),
    "def": ("def f():\n    return 1", "def is not allowed"),
    "lambda": ("f = lambda: 1", "lambda is not allowed"),
    "try": ("try:\n    x = 1\nexcept Exception:\n    pass", "try is not allowed"),
    "with": ("with x:\n    pass", "with is not allowed"),
    "global": ("global x", "global is not allowed"),
    "class": ("class A:\n    pass", "class is not allowed"),
    "type": ("t = type(x)", "type() is not allowed"),
    "eval": ("y = eval('1')", "eval() is not allowed"),
    "str.format": ("s = '{0.__class__}'.format(x)", ".format() is not allowed; use an f-string"),
    "frame walk": ("g = (i for i in [1])\nf = g.gi_frame", "attribute 'gi_frame' is not allowed"),
    "big power": ("n = 10 ** 10 ** 10", "** needs a number literal"),
}


def _script_spec(script: str = "x = 1", condition: str = "True", prescript: str | None = None):
    """start -> user task (optional preScript) -> script task -> gateway (condition | default) -> ends."""
    pre = (f"<bpmn:extensionElements><spiffworkflow:preScript><![CDATA[{prescript}]]></spiffworkflow:preScript>"
           f"</bpmn:extensionElements>" if prescript else "")
    xml = f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>
<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="prep"/>
<bpmn:userTask id="prep" name="Chuẩn bị">{pre}</bpmn:userTask>
<bpmn:sequenceFlow id="f1" sourceRef="prep" targetRef="sc"/>
<bpmn:scriptTask id="sc" name="Tính toán"><bpmn:script><![CDATA[{script}]]></bpmn:script></bpmn:scriptTask>
<bpmn:sequenceFlow id="f2" sourceRef="sc" targetRef="g"/><bpmn:exclusiveGateway id="g" default="f4"/>
<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e1">
  <bpmn:conditionExpression><![CDATA[{condition}]]></bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="e2"/>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/></bpmn:process></bpmn:definitions>"""
    parser = SpiffBpmnParser()  # deliberately no validation: a diagram forced past the lint
    parser.add_bpmn_str(xml.encode(), filename="forced.bpmn")
    return parser.get_spec("p")


def _run(spec, data: dict | None = None, engine=None) -> BpmnWorkflow:
    """Run to the end, completing each user task as it comes."""
    wf = BpmnWorkflow(spec, script_engine=engine or make_script_engine())
    wf.task_tree.set_data(**(data or {}))
    wf.do_engine_steps()
    while ready := wf.get_tasks(state=TaskState.READY, manual=True):
        for task in ready:
            task.run()
        wf.do_engine_steps()
    return wf


def _completed(wf: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}


@pytest.mark.parametrize("name", HOSTILE)
def test_check_script_rejects(name):
    script, fragment = HOSTILE[name]
    messages = check_script(script, "exec")
    assert any(fragment in m for m in messages), messages


@pytest.mark.parametrize("name", ["import", "open", "dunder escape", "getattr", "while", "__import__"])
def test_a_forced_script_task_is_refused_at_run_time_and_does_nothing(name, tmp_path):
    target = tmp_path / "pwned"
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(HOSTILE[name][0]), {"target": str(target)})
    assert info.value.task.task_spec.bpmn_id == "sc"
    assert info.value.error_type == "ScriptPolicyError"
    assert info.value.line_number >= 1
    assert "script policy" in str(info.value)
    assert not target.exists()


def test_a_forced_condition_is_refused_and_names_the_gateway(tmp_path):
    target = tmp_path / "pwned"
    spec = _script_spec(condition=f"__import__('os').makedirs({str(target)!r}) is None")
    with pytest.raises(WorkflowException) as info:
        _run(spec)
    assert info.value.task.task_spec.bpmn_id == "g"
    assert info.value.error_type == "ScriptPolicyError"
    assert not target.exists()


def test_a_forced_prescript_is_refused_and_names_the_user_task(tmp_path):
    target = tmp_path / "pwned"
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(prescript="open(target, 'w').write('x')"), {"target": str(target)})
    assert info.value.task.task_spec.bpmn_id == "prep"
    assert not target.exists()


def test_a_long_loop_hits_the_step_bound():
    script = "n = 0\nfor a in range(10000):\n    for b in range(10000):\n        n += 1"
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(script))
    assert time.perf_counter() - started < 5
    assert info.value.error_type == "ScriptLimitError"
    assert "100000 executed lines" in str(info.value)
    assert info.value.task.task_spec.bpmn_id == "sc"


def test_a_slow_script_hits_the_time_bound():
    engine = make_script_engine({"wait": lambda: time.sleep(0.01)}, max_seconds=0.2)
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec("for i in range(1000):\n    wait()"), engine=engine)
    assert time.perf_counter() - started < 2
    assert "after running 0.2 s" in str(info.value)


def test_comprehensions_in_scripts_are_traced_too():
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec("n = sum([a * b for a in range(10000) for b in range(10000)])"))
    assert info.value.error_type == "ScriptLimitError"


def test_range_is_limited():
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(f"r = list(range({MAX_RANGE + 1}))"))
    assert f"over the limit of {MAX_RANGE}" in str(info.value)


def test_normal_scripts_and_conditions_work():
    script = """total = 0
for fee in fees:
    total += fee["amount"]
summary = {"count": len(fees), "total": total}
summary["names"] = sorted([f["name"].upper() for f in fees])
name = ho_ten.strip().title()
first, *rest = ho_ten.split()
label = f"{name}: {total:,} đồng"
due = add_days(3)
pairs = [(i, f["name"]) for i, f in enumerate(fees)]
kinds = set(f["kind"] for f in fees)
"""
    engine = make_script_engine({"add_days": lambda n: f"+{n}d", "is_big": lambda x: x > 100000})
    fees = [{"name": "lệ phí", "amount": 50000, "kind": "a"}, {"name": "phí", "amount": 70000, "kind": "b"}]
    wf = _run(_script_spec(script, condition="is_big(total) and summary['count'] == 2 and 'đồng' in label"),
              {"fees": fees, "ho_ten": " nguyễn văn an "}, engine=engine)
    assert wf.completed
    data = wf.last_task.data
    assert data["summary"] == {"count": 2, "total": 120000, "names": ["LỆ PHÍ", "PHÍ"]}
    assert (data["name"], data["first"], data["label"], data["due"]) == (
        "Nguyễn Văn An", "nguyễn", "Nguyễn Văn An: 120,000 đồng", "+3d")
    assert data["kinds"] == {"a", "b"}
    assert "e1" in _completed(wf) and "e2" not in _completed(wf)  # the condition held
    assert "add_days" not in data and "_getattr_" not in data and "__builtins__" not in data


def test_task_data_cannot_replace_a_guard():
    environment = make_script_engine().environment
    data = {"d": {"k": 1}, "_getitem_": "oops", "__builtins__": {"len": lambda x: "replaced"}}
    assert environment.evaluate("d['k'] == 1 and len(d) == 1", data) is True
    with pytest.raises(ValueError, match="overwrites a predefined function"):  # SpiffWorkflow's own check
        environment.execute("y = d['k']", data)


def test_policy_errors_are_syntax_errors_with_a_line():
    engine = make_script_engine()
    with pytest.raises(ScriptPolicyError) as info:
        engine.environment.execute("x = 1\nimport os", {})
    assert isinstance(info.value, SyntaxError) and info.value.lineno == 2


def test_check_script_accepts_plain_conditions_and_timer_expressions():
    for source in ['outcome == "approve"', 'outcome in ("a", "b") and fee > 0', '"PT8H"',
                   "add_working_days(received_at, 1)", "len(docs) >= 2 or x ** 2 > 4", ' outcome == "x"\n']:
        assert check_script(source, "eval") == [], source
    assert check_script("[d for d in docs]", "exec") == []
    assert check_script("[d for d in docs]", "eval") != []


def test_function_names_starting_with_underscore_are_refused():
    with pytest.raises(ValueError):
        make_script_engine({"_secret": print})
