"""The script policy: what Python a diagram may contain, and the restricted engine that runs it.

SpiffWorkflow's default engine runs plain exec/eval with full builtins: a script task `import os` reads the
server's files. Here every script, condition and timer expression is
1. checked statically (`check_script`): no imports, no private (`_x`) names or attributes, no while loops,
   no def/lambda/class/with/try/global/yield/async, no eval/exec/open/getattr/type/..., and no
   comprehensions in expressions (so a condition has no loop at all and needs no step counting);
2. compiled with RestrictedPython (attribute, item and iteration guards; the same static check runs again
   there, so a diagram forced into the database past validation is refused when it runs);
3. run with a small set of builtins plus the host's functions; a script task's run is bounded in executed
   lines and wall-clock time by a trace function active only while that script runs.
Not bounded: memory, and time spent inside one C-level operation (a huge `str * n`, big-integer
arithmetic); designers who deploy diagrams are trusted staff, and the engine should run steps with a
process-level timeout where that trust is not enough.
"""
from __future__ import annotations

import ast
import operator
import re
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

MAX_LINES = 100_000  #: executed lines per script task run
MAX_SECONDS = 0.5  #: wall-clock seconds per script task run
MAX_RANGE = 10_000  #: items in one range()
MAX_EXPONENT = 100  #: largest literal exponent of `**` (a big-integer power cannot be interrupted)

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
}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
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


class ScriptLimitError(RuntimeError):
    """A script task ran past its line or time bound."""


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
    unique = sorted(set(found))  # source order; ast.walk is breadth-first
    return [(line, message) for line, _col, message in unique]


def _normalize(source: str, mode: str) -> str:
    # XML editors indent element text; an expression is one line, a script keeps its line numbers.
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def check_script(source: str | None, mode: str) -> list[str]:
    """Check a script ("exec") or a condition/timer expression ("eval"); [] when the policy allows it."""
    found = _violations(source, mode)
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
    result = compiler(_normalize(source, mode), filename=_FILENAME)
    if result.errors:
        m = re.match(r"Line (\d+)", result.errors[0])
        raise ScriptPolicyError(list(result.errors), int(m.group(1)) if m else 1, source)
    codes, stack = set(), [result.code]
    while stack:  # nested code objects: comprehensions run in frames of their own
        code = stack.pop()
        codes.add(code)
        stack.extend(c for c in code.co_consts if hasattr(c, "co_code"))
    return result.code, frozenset(codes)


def _range(*args: int) -> range:
    r = range(*args)
    try:
        size = len(r)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise ValueError(f"range() of {size} items is over the limit of {MAX_RANGE}")
    return r


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
            "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift}


def _inplacevar(op: str, x, y):
    return _INPLACE[op](x, y)


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


SAFE_BUILTINS: Mapping[str, object] = {
    "len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round, "int": int, "float": float,
    "str": str, "bool": bool, "list": list, "dict": dict, "tuple": tuple, "set": set, "sorted": sorted,
    "enumerate": enumerate, "zip": zip, "any": any, "all": all, "range": _range, "isinstance": isinstance,
    "True": True, "False": False, "None": None,
}
# The names RestrictedPython's compiled code calls; kept above task data so data cannot replace a guard.
_GUARDS: Mapping[str, object] = {
    "__builtins__": SAFE_BUILTINS, "_getattr_": safer_getattr, "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence, "_write_": full_write_guard, "_inplacevar_": _inplacevar,
    "_apply_": _apply,
}


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment's data semantics, with checked, RestrictedPython-compiled, bounded code."""

    def __init__(self, functions: Mapping[str, Callable] | None = None, *,
                 max_lines: int = MAX_LINES, max_seconds: float = MAX_SECONDS):
        bad = sorted(name for name in functions or {} if name.startswith("_"))
        if bad:
            raise ValueError(f"function names starting with '_' cannot be called from scripts: {bad}")
        super().__init__({**(functions or {}), **_GUARDS})
        self.max_lines = max_lines
        self.max_seconds = max_seconds

    def evaluate(self, expression, context, external_context=None):
        code, _codes = _compile(expression, "eval")
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(_GUARDS)
        return eval(code, namespace)  # noqa: S307 - checked and RestrictedPython-compiled above

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code, codes = _compile(script, "exec")
        context.update(self.globals)
        context.update(external_context or {})
        context.update(_GUARDS)
        try:
            self._run_bounded(code, codes, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
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


def make_script_engine(functions: Mapping[str, Callable] | None = None, *, max_lines: int = MAX_LINES,
                       max_seconds: float = MAX_SECONDS) -> PythonScriptEngine:
    """Return a PythonScriptEngine that runs diagrams' code under the script policy."""
    return PythonScriptEngine(environment=RestrictedEnvironment(functions, max_lines=max_lines,
                                                                max_seconds=max_seconds))
