"""The script policy, statically (check_script) and at run time: a diagram that bypassed validation is
refused when its script, condition or pre-script runs, the task is named, and nothing happens."""
from __future__ import annotations

import datetime
import time

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bpmn.scripts import MAX_RANGE, MAX_SIZE, ScriptPolicyError, check_script, make_script_engine

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
    "match": ("match x:\n    case 1:\n        y = 1", "match statements are not allowed"),
    "sum of lists": ("x = sum([[1] * 2500] * 2500, [])", "sum() adds numbers only"),
    "huge constant": ("s = 'a' * (10 ** 8)", "* would build a str of 100,000,000 items"),
    "huge shift": ("n = 1 << 10 ** 9", "<< would build an int of about 1,000,000,001 bits"),
    "%-format": ("s = '%0100000000d' % 1", "%-formatting is not allowed; use an f-string"),
    "f-string width": ("s = f'{1:>100000000}'", "a width or precision over 100,000"),
    "f-string nested spec": ("s = f'{1:>{w}}'", "format specs must be literal"),
    "item +=": ("d['k'] += 1", "Augmented assignment of object items"),  # RestrictedPython's own refusal
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


# One C-level step doing huge work is never interrupted by the line trace: each of these must be refused
# before it is computed. The values come from task data, so only the run-time guards can see them.
SIZE_ATTACKS = {  # name -> (script, a fragment of the error)
    "sum of lists": ("x = sum(lists, empty)", "sum() adds numbers only, not a list start"),
    "str * n": ("s = 'a' * n", "* would build a str of 100,000,000 items"),
    "list * n": ("l = [1] * n", "* would build a list of 100,000,000 items"),
    "doubling": ("s = 'a' * 100000\nfor i in range(30):\n    s = s + s", "+ would build a str of 200,000 items"),
    "doubling +=": ("l = [1] * 100000\nfor i in range(30):\n    l += l", "+ would build a list of 200,000"),
    "extend": ("l = [1] * 100000\nl.extend(l)", "extend() would build a list of 200,000"),
    "join": ("s = 'a' * 100000\nt = ''.join([s] * 100000)", "join() would build a str of 10,000,000,000"),
    "replace": ("s = ('a' * 100000).replace('a', 'a' * 100000)", "replace() would build a str"),
    "ljust": ("s = 'a'.ljust(n)", "ljust() would build a str of 100,000,000"),
    "expandtabs": ("s = ('\\t' * 100000).expandtabs(100000)", "expandtabs() would build a str"),
    "translate": ("s = ('a' * 1000).translate({97: 'b' * 100000})", "translate() would build a str"),
    "to_bytes": ("b = (1).to_bytes(n, 'big')", "to_bytes() would build a bytes"),
    "big power": ("m = 10 ** 100\nm = m ** 100", "** would build an int of about 33,200 bits"),
    "big shift": ("m = 1 << n", "<< would build an int of about 100,000,001 bits"),
    "big product": ("m = 7 ** 90\nfor i in range(20):\n    m = m * m", "* would build an int"),
    "round": ("m = round(5, -n)", "round() to -100000000 digits is over the limit"),
    "%-format": ("s = fmt % (n, 1)", "%-formatting is not allowed"),
    "*-unpacking": ("l = [1] * 100000\nm = [*l, *l, *l]", "would build a list of 300,000 items"),
    "f-string": ("s = 'a' * 100000\nt = f'{s}{s}'", "would build a str of 200,000 items"),
    "extend from a long iterator": ("x = [1] * 99999\nx.extend(zip(x, x))", "extending would build a list"),
    # a type's method takes the value as an argument, around the guard on the value's method
    "unbound ljust": ("s = str.ljust('a', n)", "str.ljust: call the method on a value"),
    "unbound to_bytes": ("b = int.to_bytes(1, n, 'big')", "int.to_bytes: call the method on a value"),
    "unbound extend kept": ("y = list.extend\nx = [1]\ny(x, zip(x))", "list.extend: call the method on a value"),
}
# Inputs for the attacks: the list of lists is 160,000 values to sum, under the stored-data bound itself.
SIZE_DATA = {"lists": [[1] * 400] * 400, "empty": [], "n": 10 ** 8, "fmt": "%0*d"}


@pytest.mark.parametrize("name", SIZE_ATTACKS)
def test_a_huge_step_in_a_script_is_refused_before_it_runs(name):
    script, fragment = SIZE_ATTACKS[name]
    assert check_script(script, "exec") == []  # data-driven: only the run time sees the size
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(script), SIZE_DATA)
    assert time.perf_counter() - started < 1
    assert info.value.error_type == "ScriptLimitError" and info.value.task.task_spec.bpmn_id == "sc"
    assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize("script", ["x = [1]\nx.extend(zip(x))", "x = [1]\nx += enumerate(x)"])
def test_a_list_extended_from_an_iterator_over_itself_stops(script):
    # CPython appends while iterating, forever, in one C call; the guard reads the iterator first.
    environment = make_script_engine().environment
    data = {}
    started = time.perf_counter()
    environment.execute(script, data)
    assert time.perf_counter() - started < 1
    assert len(data["x"]) == 2


@pytest.mark.parametrize("condition, fragment", [
    ("sum(lists, empty) == []", "sum() adds numbers only"),
    ("len('a' * n) > 0", "* would build a str of 100,000,000 items"),
    ("len(''.join([s] * 100000)) > 0", "join() would build a str of 10,000,000,000 items"),
])
def test_a_huge_step_in_a_condition_is_refused_before_it_runs(condition, fragment):
    started = time.perf_counter()
    with pytest.raises(WorkflowException) as info:
        _run(_script_spec(condition=condition), {**SIZE_DATA, "s": "a" * MAX_SIZE})
    assert time.perf_counter() - started < 1
    assert info.value.task.task_spec.bpmn_id == "g" and info.value.error_type == "ScriptLimitError"
    assert fragment in str(info.value.__context__)  # SpiffWorkflow's message names only the expression


@pytest.mark.parametrize("source, mode", [
    ("x = sum([[1] * 2500] * 2500, [])", "exec"), ("sum([[1] * 1500] * 1500, []) == []", "eval"),
    ("s = 'a' * (10 ** 8)", "exec"), ("match x:\n    case 1:\n        y = 1", "exec"),
])
def test_what_validation_refuses_is_refused_at_run_time_too(source, mode):
    assert check_script(source, mode) != []
    environment = make_script_engine().environment
    started = time.perf_counter()
    with pytest.raises(ScriptPolicyError):
        (environment.evaluate if mode == "eval" else environment.execute)(source, {"x": 1})
    assert time.perf_counter() - started < 1


def test_the_size_guards_let_normal_code_through():
    script = """a, *b = [1, 2, 3]
c = [*b, 4]
t = f"{a:>5}|{price:,.2f}|{code:06d}"
z = str(7).zfill(6)
j = ", ".join(["a", "b"])
r = "a-b".replace("-", " - ")
n = 2 ** 10 * 3 + (1 << 4) - 17 % 5
k = round(3.14159, 2)
s = sum([1, 2.5])
l = [0] * 3 + [1]
l.extend([2, 3])
l += [4]
w = "ab" * 3
d = day.replace(year=2025)
"""
    wf = _run(_script_spec(script, condition="n % 2 == 0 and w * 2 == 'ab' * 6 and sum(l) == 10"),
              {"price": 1234.5, "code": 42, "day": datetime.datetime(2024, 5, 1, 8, 0)})  # a date alone cannot be stored
    data = wf.last_task.data
    assert (data["c"], data["t"], data["z"], data["j"], data["r"]) == (
        [2, 3, 4], "    1|1,234.50|000042", "000007", "a, b", "a - b")
    assert (data["n"], data["k"], data["s"], data["l"], data["w"]) == (3086, 3.14, 3.5, [0, 0, 0, 1, 2, 3, 4],
                                                                       "ababab")
    assert data["d"] == datetime.datetime(2025, 5, 1, 8, 0)
    assert "e1" in _completed(wf)


def test_data_large_only_through_aliasing_is_refused_before_it_is_stored():
    # 2**40 values to write out, in 41 small objects: json.dumps would never finish
    script = "a = [1]\nfor i in range(40):\n    a = [a, a]"
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as info:
        _run(_script_spec(script))
    assert time.perf_counter() - started < 1
    assert info.value.error_type == "ScriptLimitError" and info.value.task.task_spec.bpmn_id == "sc"
    assert "too large to store" in str(info.value)


def test_data_of_an_ordinary_size_is_kept():
    environment = make_script_engine().environment
    data = {"rows": [{"code": f"{i:04d}", "name": "Bán lẻ " * 10} for i in range(2000)]}
    environment.execute("a = [1]\nfor i in range(10):\n    a = [a, a]\nn = len(rows)", data)
    assert data["n"] == 2000 and len(data["a"]) == 2
