"""The script policy: what Python a diagram may contain, and the restricted engine that runs it.

SpiffWorkflow's default engine runs plain exec/eval with full builtins: a script task `import os` reads the
server's files. Here every script, condition and timer expression is
1. checked statically (`check_script`): no imports, no private (`_x`) names or attributes, no while loops,
   no def/lambda/class/with/try/global/yield/async, no eval/exec/open/getattr/type/..., and no
   comprehensions in expressions (so a condition has no loop at all and needs no step counting);
2. compiled with RestrictedPython (attribute, item and iteration guards; the same static check runs again
   there, so a diagram forced into the database past validation is refused when it runs; `check_script`
   runs this compile too, so what RestrictedPython refuses (`d[k] += 1`) is refused at validation);
3. run with a small set of builtins plus the host's functions; a script task's run is bounded in executed
   lines and wall-clock time by a trace function active only while that script runs;
4. bounded in size: the trace only acts between lines, so one C-level step doing huge work (`'a' * 10**8`,
   `sum(lists, [])`, `'x'.ljust(10**9)`, `round(5, -10**8)`) would never be interrupted. The operators and
   builtins that build a value many times larger than their operands in one step are guarded and refuse a
   result over MAX_SIZE items or MAX_INT_BITS bits before computing it: `+ * ** << %` (RestrictedPython
   compiles them into calls of `_add_`, `_mul_`, ...), the growing str/bytes/list/int methods (join,
   replace, the padding methods, expandtabs, translate, extend, to_bytes), `sum` (numbers only), `round`,
   *-unpacking displays and f-strings (widths in format specs are checked statically). A condition or timer
   expression has no loop (no comprehension, lambda or def), so these guards (and 6.) are its bound: a
   line trace has nothing to interrupt in a one-line expression, and would cost every gateway a settrace.
5. bounded in what it leaves: after a script task ran, its data may hold at most MAX_DATA_VALUES values and
   MAX_DATA_CHARS characters, counted as serializing counts them, so values large only through aliasing
   (`a = [a, a]` repeated: small in memory, huge to print or serialize) are refused before they are stored;
   so are values the state cannot store (a generator, a tuple key, a lone surrogate, deep nesting).
6. bounded in CPU time, memory and wall-clock time: a script, and an expression not proven trivially
   bounded (`trivially_bounded`), runs in a helper process under hard limits (bpmn.sandbox): one C-level
   step over an aliased value (`str(a)` of `a = [a, a]` repeated), a comparison of huge lists, growth spread
   over many lines, all end at those limits, and the server's worker waits without holding the GIL.
   Trivially bounded expressions (the common `outcome == "approve"`) stay in this process.
Not bounded here: the host's functions (trusted; add_working_time's durations are bounded in
bpmn.durations). Loops of the diagram itself are bounded by validation and by engine.runtime.step.
"""
from __future__ import annotations

import ast
import re
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from bpmn import sandbox as sandbox_module
from bpmn.script_guards import (  # noqa: F401 (ScriptLimitError, the limits: part of this module's interface)
    CONSTANT_OPERATORS,
    GUARDS,
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_RANGE,
    MAX_SIZE,
    SAFE_BUILTINS,
    ScriptLimitError,
    SizePolicy,
    check_data_size,
)

MAX_LINES = 100_000  #: executed lines per script task run
MAX_SECONDS = 0.5  #: wall-clock seconds per script task run

BANNED_CALLS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals", "vars", "dir",
    "type", "__import__", "breakpoint", "input", "help", "memoryview",
})
_BANNED_SYNTAX: dict[type, str] = {
    ast.Import: "import statements are not allowed",
    ast.ImportFrom: "import statements are not allowed",
    ast.While: "while loops are not allowed; loop with for over a list or range()",
    ast.FunctionDef: "def is not allowed", ast.AsyncFunctionDef: "def is not allowed",
    ast.Lambda: "lambda is not allowed", ast.ClassDef: "class is not allowed",
    ast.Global: "global is not allowed", ast.Nonlocal: "nonlocal is not allowed",
    ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed", ast.AsyncFor: "async is not allowed",
    ast.AsyncWith: "async is not allowed", ast.With: "with is not allowed",
    ast.Try: "try is not allowed", ast.TryStar: "try is not allowed",
    ast.Match: "match statements are not allowed; use if/elif",
}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DEFAULT = object()  # "the process's shared sandbox"
_FILENAME = "<string>"  # SpiffWorkflow finds a script's failing line by this frame file name


class ScriptPolicyError(SyntaxError):
    """A script or expression breaks the script policy.

    A SyntaxError with a line number: SpiffWorkflow then reports the task and line (its error formatter
    fails on a SyntaxError without one).
    """

    def __init__(self, messages: list[str], lineno: int = 1, source: str | None = None):
        text = (source or "").splitlines()[lineno - 1] if source and lineno <= len(source.splitlines()) else ""
        super().__init__("script policy: " + "; ".join(messages), (_FILENAME, lineno, 0, text))
        self.messages = list(messages)


def _violations(source: str | None, mode: str) -> list[tuple[int, str]]:
    """Return (line, message) for each policy violation of `source` compiled in `mode`."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if source is None or not source.strip():
        return [(1, "the expression is empty" if mode == "eval" else "the script is empty")]
    try:
        tree = ast.parse(_normalize(source, mode), mode=mode)
    except SyntaxError as exc:
        return [(exc.lineno or 1, f"syntax error: {exc.msg}")]
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        line, col = getattr(node, "lineno", 1), getattr(node, "end_col_offset", 0)
        message = _BANNED_SYNTAX.get(type(node))
        if message:
            found.append((line, col, message))
        elif isinstance(node, _COMPREHENSIONS) and mode == "eval":
            found.append((line, col, "comprehensions are not allowed in conditions and timer expressions; "
                                "compute the value in a script task"))
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            found.append((line, col, f"name {node.id!r} is not allowed: names starting with '_' are private"))
        elif isinstance(node, ast.Name) and node.id in BANNED_CALLS:
            found.append((line, col, f"{node.id}() is not allowed"))
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                found.append((line, col, f"attribute {node.attr!r} is not allowed: names starting with '_' "
                                    f"are private"))
            elif node.attr in INSPECT_ATTRIBUTES:
                found.append((line, col, f"attribute {node.attr!r} is not allowed"))
            elif node.attr in ("format", "format_map"):
                found.append((line, col, f".{node.attr}() is not allowed; use an f-string"))
        elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            found.append((line, col, f"keyword {node.arg!r} is not allowed: names starting with '_' are private"))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Pow):
            exponent = node.right if isinstance(node, ast.BinOp) else node.value
            if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float))
                    and not isinstance(exponent.value, bool) and abs(exponent.value) <= MAX_EXPONENT):
                found.append((line, col, f"** needs a number literal up to {MAX_EXPONENT} as exponent (like x ** 2)"))
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, (str, bytes))):
            found.append((line, col, "%-formatting is not allowed; use an f-string"))
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            found += [(line, col, m) for m in _format_spec_violations(node.format_spec)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sum":
            start = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "start"), None)
            if isinstance(start, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr)) or (
                    isinstance(start, ast.Constant) and isinstance(start.value, (str, bytes))):
                found.append((line, col, "sum() adds numbers only; join strings with ''.join(), lists with a for "
                                         "loop"))
        if isinstance(node, ast.BinOp):  # a constant too big to build ('a' * 10 ** 8) is refused here already
            try:
                _constant(node)
            except ScriptLimitError as exc:
                found.append((line, col, str(exc)))
    unique = sorted(set(found))  # source order; ast.walk is breadth-first
    return list(dict.fromkeys((line, message) for line, _col, message in unique))  # ('a' * 10**8) * 2: once


def _constant(node: ast.expr):
    """The value of a constant expression of numbers, strings and literal lists (None if it is not one),
    computed with the size guards, so one too big raises their ScriptLimitError."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bytes)):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts):
        return [e.value for e in node.elts]
    operation = CONSTANT_OPERATORS.get(type(node.op)) if isinstance(node, ast.BinOp) else None
    if operation is None:
        return None
    left, right = _constant(node.left), _constant(node.right)
    if left is None or right is None:
        return None
    try:
        return operation(left, right)
    except ScriptLimitError:
        raise
    except Exception:  # 1 / 0, 'a' - 1: a run-time error, not a size
        return None


def _format_spec_violations(spec: ast.JoinedStr) -> list[str]:
    # f"{x:>100000000}" builds 100 MB in one step: a spec is literal and its numbers (width, precision) small.
    if not all(isinstance(part, ast.Constant) for part in spec.values):
        return ["f-string format specs must be literal (no {...} inside the spec)"]
    text = "".join(str(part.value) for part in spec.values)
    if any(int(number) > MAX_SIZE for number in re.findall(r"\d+", text)):
        return [f"f-string format spec {text!r}: a width or precision over {MAX_SIZE:,} is not allowed"]
    return []


def _normalize(source: str, mode: str) -> str:
    # XML editors indent element text; an expression is one line, a script keeps its line numbers.
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def check_script(source: str | None, mode: str) -> list[str]:
    """Check a script ("exec") or a condition/timer expression ("eval"); [] when the policy allows it."""
    found = _violations(source, mode)
    if not found:  # what RestrictedPython refuses (item augmented assignment, ...) is refused here too
        try:
            _compile(source, mode)
        except ScriptPolicyError as exc:
            found = [(exc.lineno, message) for message in exc.messages]
    several_lines = bool(source) and len(source.strip().splitlines()) > 1
    return [f"line {line}: {message}" if several_lines else message for line, message in found]


@lru_cache(maxsize=4096)
def _compile(source: str | None, mode: str):
    """Check and compile once per distinct source; return (code, every code object it contains)."""
    found = _violations(source, mode)
    if found:
        if found[0][1].startswith("syntax error"):
            raise SyntaxError(found[0][1], (_FILENAME, found[0][0], 0, ""))
        raise ScriptPolicyError([m for _, m in found], found[0][0], source)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(_normalize(source, mode), filename=_FILENAME, policy=SizePolicy)
    if result.errors:
        m = re.match(r"Line (\d+)", result.errors[0])
        raise ScriptPolicyError([re.sub(r"^Line \d+: ", "", e) for e in result.errors], int(m.group(1)) if m else 1,
                                source)
    codes, stack = set(), [result.code]
    while stack:  # nested code objects: comprehensions run in frames of their own
        code = stack.pop()
        codes.add(code)
        stack.extend(c for c in code.co_consts if hasattr(c, "co_code"))
    return result.code, frozenset(codes)


_BOUNDED_NODES = (  # what a trivially bounded expression is made of (see trivially_bounded)
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.cmpop, ast.BoolOp, ast.boolop, ast.Not,
    ast.USub, ast.UAdd, ast.IfExp, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Set,
    ast.Dict, ast.Add, ast.Sub, ast.Div, ast.Call,
)
_BOUNDED_CALLS = frozenset({"len", "abs", "bool"})


@lru_cache(maxsize=4096)
def trivially_bounded(expression: str | None, host_functions: frozenset[str] = frozenset()) -> bool:
    """True when the expression's cost is bounded by its own length times the size of the task data.

    Such an expression (`outcome == "approve"`, `amount > 10 and not urgent`, `data["k"][0]`,
    `add_working_time(received_at, "PT4H")`) runs in-process: the common gateway costs no process round
    trip. Allowed: names, constants, comparisons, and/or/not, + - / (no *: `s * n` grows), attribute and
    item reads, displays without *, and calls of len/abs/bool or of a host function (trusted and bounded),
    with such arguments and no keywords. Everything else runs in the sandbox (bpmn.sandbox). Task data is
    itself bounded in size as serialized (check_data_size), so `a == b` over it is bounded too.
    """
    try:
        tree = ast.parse(_normalize(expression or "", "eval"), mode="eval")
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, _BOUNDED_NODES) and not isinstance(node, ast.UnaryOp | ast.BinOp):
            return False
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Add | ast.Sub | ast.Div):
            return False
        if isinstance(node, ast.Call) and (
                node.keywords or not isinstance(node.func, ast.Name)
                or node.func.id not in _BOUNDED_CALLS | host_functions
                or any(isinstance(a, ast.Starred) for a in node.args)):
            return False
        if isinstance(node, ast.Dict) and None in node.keys:  # {**d}
            return False
    return True


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment's data semantics, with checked, RestrictedPython-compiled, bounded code.

    Scripts, and expressions not trivially bounded, run in `sandbox` (a helper process under hard CPU,
    memory and wall-clock bounds); `sandbox=None` runs everything in this process (the helper itself does).
    """

    def __init__(self, functions: Mapping[str, Callable] | None = None, *,
                 max_lines: int = MAX_LINES, max_seconds: float = MAX_SECONDS, sandbox=_DEFAULT):
        bad = sorted(name for name in functions or {} if name.startswith("_"))
        if bad:
            raise ValueError(f"function names starting with '_' cannot be called from scripts: {bad}")
        super().__init__({**(functions or {}), **GUARDS})
        self.functions = dict(functions or {})
        self._host_names = frozenset(self.functions)
        self.max_lines = max_lines
        self.max_seconds = max_seconds
        self.sandbox = sandbox_module.shared() if sandbox is _DEFAULT else sandbox

    def evaluate(self, expression, context, external_context=None):
        code, _codes = _compile(expression, "eval")
        if self.sandbox is not None and not trivially_bounded(expression, self._host_names):
            return self.sandbox.run("eval", expression, context, external_context, self.functions,
                                    self.max_lines, self.max_seconds)
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(GUARDS)
        return eval(code, namespace)  # noqa: S307 - checked and RestrictedPython-compiled above

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code, codes = _compile(script, "exec")
        if self.sandbox is not None:
            data = self.sandbox.run("exec", script, context, external_context, self.functions, self.max_lines,
                                    self.max_seconds)
            check_data_size(data)  # checked in the helper too; this process trusts only its own check
            context.clear()
            context.update(data)
            return True
        context.update(self.globals)
        context.update(external_context or {})
        context.update(GUARDS)
        try:
            self._run_bounded(code, codes, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        check_data_size(context)  # before SpiffWorkflow copies it into the next tasks and we serialize it
        return True

    def _run_bounded(self, code, codes: frozenset, namespace: dict) -> None:
        """Exec `code`, counting the lines its own frames run and watching the clock between them."""
        max_lines, clock = self.max_lines, time.perf_counter
        deadline, count = clock() + self.max_seconds, 0

        def on_line(frame, event, arg):
            nonlocal count
            if event == "line":
                count += 1
                if count > max_lines:
                    raise ScriptLimitError(f"script stopped after {max_lines} executed lines (the limit)")
                if clock() > deadline:
                    raise ScriptLimitError(f"script stopped after running {self.max_seconds} s (the limit)")
            return on_line

        def on_call(frame, event, arg):
            # Only the script's own frames are counted: the host's functions run untraced.
            return on_line if frame.f_code in codes else None

        previous = sys.gettrace()
        sys.settrace(on_call)
        try:
            exec(code, namespace)  # noqa: S102 - checked and RestrictedPython-compiled above
        finally:
            sys.settrace(previous)


MAX_LOOP = 1000  #: default ceiling of a multi-instance cardinality and of a loop's loopMaximum
MAX_ENGINE_STEPS = 200  #: default bound of the engine steps one action runs (engine.runtime.step)


class BoundedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, refusing a multi-instance cardinality over `max_loop`.

    The cardinality is evaluated here, before SpiffWorkflow creates that many task instances (3,000 made a
    reception take 17 s). `max_engine_steps` is read by engine.runtime.step, which drives the workflow.
    """

    def __init__(self, environment, *, max_loop: int = MAX_LOOP, max_engine_steps: int = MAX_ENGINE_STEPS):
        super().__init__(environment=environment)
        self.max_loop = max_loop
        self.max_engine_steps = max_engine_steps

    def evaluate(self, task, expression, external_context=None):
        value = super().evaluate(task, expression, external_context)
        spec = task.task_spec
        if isinstance(spec, MultiInstanceTask) and expression == spec.cardinality and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self.max_loop):
            raise WorkflowTaskException(f"loopCardinality {value!r} is not a number of instances from 0 to the "
                                        f"ceiling of {self.max_loop}", task=task)
        return value


def make_script_engine(functions: Mapping[str, Callable] | None = None, *, max_lines: int = MAX_LINES,
                       max_seconds: float = MAX_SECONDS, sandbox=_DEFAULT, max_loop: int = MAX_LOOP,
                       max_engine_steps: int = MAX_ENGINE_STEPS) -> PythonScriptEngine:
    """Return a script engine that runs diagrams' code under the script policy, in `sandbox` (by default
    the process's shared one with the default limits) unless trivially bounded."""
    environment = RestrictedEnvironment(functions, max_lines=max_lines, max_seconds=max_seconds, sandbox=sandbox)
    return BoundedScriptEngine(environment, max_loop=max_loop, max_engine_steps=max_engine_steps)
