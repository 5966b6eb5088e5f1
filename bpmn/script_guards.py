"""Size guards of the restricted script environment (bpmn.scripts): the operators, builtins and methods
that could build a huge value in one C-level step, which no line trace can interrupt.

Each guard checks its result's size from its operands *before* computing it: afterwards the time and memory
are spent. Sequences are measured in items (characters, bytes, elements), ints in bits.
"""
from __future__ import annotations

import ast
import datetime
import itertools
import numbers
import operator
import uuid
from collections.abc import Callable, Mapping, Sized

from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer

MAX_RANGE = 10_000  #: items in one range()
MAX_EXPONENT = 100  #: largest literal exponent of `**` (a big-integer power cannot be interrupted)
MAX_SIZE = 100_000  #: items (characters, elements) of a str/bytes/list/tuple that one guarded step builds
MAX_INT_BITS = 10_000  #: bits of an int that `*`, `**`, `<<` build (~3,000 digits: str() still prints it)
#: values, and characters of strings, in a task's data after a script ran, counted as serializing would
#: count them: a value that appears twice (aliasing, `a = [a, a]`) counts twice
MAX_DATA_VALUES = 200_000
MAX_DATA_CHARS = 2_000_000
MAX_DATA_DEPTH = 100  #: nesting of lists and dicts in task data (JSON and the state serializer recurse)


class ScriptLimitError(RuntimeError):
    """A script task ran past its line or time bound, or a step would build a value over the size bounds."""


def _range(*args: int) -> range:
    r = range(*args)
    try:
        size = len(r)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise ValueError(f"range() of {size} items is over the limit of {MAX_RANGE}")
    return r


# Size guards. Each checks its result's size from its operands *before* computing it: afterwards the time
# and memory are spent. Sequences are measured in items (characters, bytes, elements), ints in bits.
_SEQUENCES = (str, bytes, bytearray, list, tuple)


def _check_items(what: str, kind: object, size: int) -> None:
    if size > MAX_SIZE:
        raise ScriptLimitError(f"{what} would build a {type(kind).__name__} of {size:,} items, over the limit "
                               f"of {MAX_SIZE:,}")


def _check_bits(what: str, bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitError(f"{what} would build an int of about {bits:,} bits, over the limit of "
                               f"{MAX_INT_BITS:,}")


def _check_add(a, b) -> None:  # s + s doubles per line; int + int grows by one bit
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_items("+", a, len(a) + len(b))


def _check_mul(a, b) -> None:
    if isinstance(a, int) and isinstance(b, int):  # bool is an int
        _check_bits("*", a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_items("*", a, len(a) * b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_items("*", b, len(b) * a)


def _check_pow(a, b) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 1:  # a float power overflows instead (OverflowError)
        _check_bits("**", (a.bit_length() - 1) * b)  # at least that many bits


def _check_lshift(a, b) -> None:
    if isinstance(a, int) and isinstance(b, int) and a:
        _check_bits("<<", a.bit_length() + b)


def _check_mod(a, b) -> None:
    if isinstance(a, (str, bytes, bytearray)):  # '%*d' % (10**9, 1): widths come from data
        raise ScriptLimitError("%-formatting is not allowed; use an f-string")


def _add(a, b):
    _check_add(a, b)
    return a + b


def _mul(a, b):
    _check_mul(a, b)
    return a * b


def _pow(a, b):
    _check_pow(a, b)
    return a ** b


def _lshift(a, b):
    _check_lshift(a, b)
    return a << b


def _mod(a, b):
    _check_mod(a, b)
    return a % b


CONSTANT_OPERATORS = {ast.Add: _add, ast.Sub: operator.sub, ast.Mult: _mul, ast.Pow: _pow, ast.LShift: _lshift}
_OPERATORS = {ast.Add: "_add_", ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


class SizePolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus calls to the size guards: `a * b` compiles to `_mul_(a, b)`, and a
    display with *-unpacking or an f-string with several fields (`[*a, *a]`, f"{s}{s}") to `_built_(...)`."""

    def visit_BinOp(self, node: ast.BinOp):
        node = super().visit_BinOp(node)
        guard = _OPERATORS.get(type(node.op))
        return node if guard is None else self._call(guard, node, [node.left, node.right])

    def visit_List(self, node: ast.List):
        return self._built(super().visit_List(node), any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_Tuple(self, node: ast.Tuple):
        return self._built(super().visit_Tuple(node), any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_Set(self, node: ast.Set):
        return self._built(super().visit_Set(node), any(isinstance(e, ast.Starred) for e in node.elts))

    def visit_JoinedStr(self, node: ast.JoinedStr):
        fields = sum(isinstance(v, ast.FormattedValue) for v in node.values)  # a format spec has none
        return self._built(super().visit_JoinedStr(node), fields > 1)

    def _built(self, node, grows: bool):
        # Checked once built: one such step grows a value at most as many times as it has * or fields.
        if not grows or not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):  # not `a, *b = c`
            return node
        return self._call("_built_", node, [node])

    @staticmethod
    def _call(name: str, node: ast.AST, args: list[ast.expr]) -> ast.Call:
        call = ast.copy_location(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), node)
        return ast.fix_missing_locations(call)


def _built(value):
    _check_items("this display or f-string", value, len(value))
    return value


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
            "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift}
_INPLACE_CHECKS = {"+=": _check_add, "*=": _check_mul, "**=": _check_pow, "<<=": _check_lshift, "%=": _check_mod}


def _bounded(items, iterable) -> list:
    """An iterable's items as a list, read no further than the size bound allows `items` to grow.

    `x.extend(zip(x))` or `x += enumerate(x)` would append to x while iterating it, forever, in one C call.
    """
    taken = list(itertools.islice(iterable, max(0, MAX_SIZE - len(items)) + 1))
    _check_items("extending", items, len(items) + len(taken))
    return taken


def _inplacevar(op: str, x, y):
    if op == "+=" and isinstance(x, (list, bytearray)) and not isinstance(y, Sized):
        y = _bounded(x, y)
    check = _INPLACE_CHECKS.get(op)
    if check is not None:
        check(x, y)
    return _INPLACE[op](x, y)


def _apply(function, *args, **kwargs):
    return function(*args, **kwargs)


def _sum(iterable, /, start=0):
    # sum(lists, []) concatenates in one C call, in quadratic time (2,500 lists of 2,500: 32 s).
    if not isinstance(start, numbers.Number):
        raise ScriptLimitError(f"sum() adds numbers only, not a {type(start).__name__} start; join strings "
                               f"with ''.join(), lists with a for loop")
    return sum(iterable, start)


def _round(number, ndigits=None):
    # round(5, -10**8) computes 10 ** 10**8 first.
    if isinstance(ndigits, int) and abs(ndigits) > MAX_EXPONENT:
        raise ScriptLimitError(f"round() to {ndigits} digits is over the limit of {MAX_EXPONENT}")
    return round(number, ndigits) if ndigits is not None else round(number)


# The methods of str, bytes, list and int whose result can be many times their operands' size, each with
# a guard called as guard(obj, bound_method, *args): join ('x'.join([s] * n)), replace, the padding
# methods, expandtabs and translate (to a long string per character), list.extend (l.extend(l) doubles),
# int.to_bytes (a length).
def _join(sep, method, iterable):
    parts = list(iterable)  # an iterator can be read once: measure the list, then join it
    size = sum(len(p) for p in parts if isinstance(p, _SEQUENCES)) + len(sep) * max(len(parts) - 1, 0)
    _check_items("join()", sep, size)
    return method(parts)


def _replace(s, method, old, new, count=-1, /):
    if isinstance(old, _SEQUENCES) and isinstance(new, _SEQUENCES) and len(new) > len(old):
        n = s.count(old) if count < 0 else min(s.count(old), count)  # ''.count('') is len + 1, as replace
        _check_items("replace()", s, len(s) + n * (len(new) - len(old)))
    return method(old, new, count)


def _pad(s, method, width, *args):
    if isinstance(width, int):
        _check_items(f"{method.__name__}()", s, width)
    return method(width, *args)


def _expandtabs(s, method, tabsize=8):
    if isinstance(tabsize, int):
        _check_items("expandtabs()", s, len(s) + s.count("\t" if isinstance(s, str) else b"\t") * tabsize)
    return method(tabsize)


def _translate(s, method, table, *args):
    if isinstance(s, str) and isinstance(table, (dict, list, tuple)):
        values = table.values() if isinstance(table, dict) else table
        longest = max((len(v) for v in values if isinstance(v, str)), default=1)
        _check_items("translate()", s, len(s) * longest)
    return method(table, *args)


def _extend(items, method, iterable):
    if isinstance(iterable, Sized):
        _check_items("extend()", items, len(items) + len(iterable))
    else:
        iterable = _bounded(items, iterable)
    return method(iterable)


def _to_bytes(n, method, length=1, *args, **kwargs):
    if isinstance(length, int):
        _check_items("to_bytes()", b"", length)
    return method(length, *args, **kwargs)


_METHODS: Mapping[str, Callable] = {
    "join": _join, "replace": _replace, "ljust": _pad, "rjust": _pad, "center": _pad, "zfill": _pad,
    "expandtabs": _expandtabs, "translate": _translate, "extend": _extend, "to_bytes": _to_bytes,
}


def _getattr(obj, name, *default):
    if name in _METHODS and isinstance(obj, type):
        # str.ljust("a", 10**8) would pass the value as an argument, around the guard on the value's method
        raise ScriptLimitError(f"{obj.__name__}.{name}: call the method on a value, not on its type")
    value = safer_getattr(obj, name, *default)
    guard = _METHODS.get(name)
    if guard is None or not isinstance(obj, (str, bytes, bytearray, list, int)):  # date.replace is plain
        return value

    def guarded(*args, **kwargs):  # a closure, not a functools.partial: its .args would expose the method
        return guard(obj, value, *args, **kwargs)
    return guarded


SAFE_BUILTINS: Mapping[str, object] = {
    "len": len, "min": min, "max": max, "sum": _sum, "abs": abs, "round": _round, "int": int, "float": float,
    "str": str, "bool": bool, "list": list, "dict": dict, "tuple": tuple, "set": set, "sorted": sorted,
    "enumerate": enumerate, "zip": zip, "any": any, "all": all, "range": _range, "isinstance": isinstance,
    "True": True, "False": False, "None": None,
}
# The names RestrictedPython's compiled code calls; kept above task data so data cannot replace a guard.
GUARDS: Mapping[str, object] = {
    "__builtins__": SAFE_BUILTINS, "_getattr_": _getattr, "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter, "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence, "_write_": full_write_guard, "_inplacevar_": _inplacevar,
    "_apply_": _apply, "_add_": _add, "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift, "_mod_": _mod,
    "_built_": _built,
}


_STORABLE_LEAVES = (str, int, float, bool, type(None), datetime.datetime, datetime.timedelta, uuid.UUID)
_STORABLE_KEYS = (str, int, float, bool, type(None))  # what JSON writes as an object key


def check_data_size(data: dict) -> None:
    """Refuse task data that cannot be stored: too large, too deep, or holding a value the state cannot keep.

    Size is counted as JSON would write it: over MAX_DATA_VALUES values or MAX_DATA_CHARS characters, so
    `a = [a, a]` repeated (a few objects in memory, 2**n values to write) is caught; the count stops at the
    limit, so the check itself is bounded whatever the data. Nesting deeper than MAX_DATA_DEPTH, a value of
    a type the state serializer cannot write (a generator, bytes, a date without time), a key that is not a
    string or number (a tuple) and a string that is not valid Unicode (a lone surrogate) are refused too:
    otherwise the failure comes later, when the state is written, as a server error.
    """
    values, chars, stack = 0, 0, [(data, 0, None)]
    while stack:
        value, depth, path = stack.pop()
        values += 1
        if depth > MAX_DATA_DEPTH:
            raise ScriptLimitError(f"the script left task data nested deeper than {MAX_DATA_DEPTH} levels "
                                   f"(at {_where(path)[:80]}...)")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, _STORABLE_KEYS):
                    raise ScriptLimitError(f"the script left a key that cannot be stored in {_where(path)}: "
                                           f"a {type(key).__name__} ({_short(key)}); keys are strings or numbers")
                if isinstance(key, str):
                    chars += len(key)
                    _check_text(key, path)
                stack.append((item, depth + 1, (path, key)))
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1, (path, i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            chars += len(value)
            _check_text(value, path)
        elif not isinstance(value, _STORABLE_LEAVES):
            raise ScriptLimitError(f"the script left a value that cannot be stored in {_where(path)}: "
                                   f"a {type(value).__name__}")
        if values > MAX_DATA_VALUES or chars > MAX_DATA_CHARS:
            raise ScriptLimitError(f"the script left task data too large to store (over {MAX_DATA_VALUES:,} "
                                   f"values or {MAX_DATA_CHARS:,} characters, a value shared n times counting "
                                   "n times)")


def _where(path) -> str:
    """`x['k'][0]` from the (parent, key) chain the walk keeps (built only for a message)."""
    keys = []
    while path is not None:
        path, key = path
        keys.append(key)
    if not keys:
        return "the data"
    keys.reverse()
    return str(keys[0]) + "".join(f"[{k!r}]" for k in keys[1:])


def _check_text(text: str, path) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ScriptLimitError(f"the script left a string that is not valid Unicode in {_where(path)} "
                                   f"(character {exc.start}: a lone surrogate)") from None


def _short(value) -> str:
    text = repr(value) if isinstance(value, (tuple, str, int, float)) and len(str(value)) < 40 else "..."
    return text
