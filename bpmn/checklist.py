"""Document checklists (thành phần hồ sơ): which documents a dossier needs, given its reception data.

A `[[documents]]` entry of procedure.toml may say
- `form`: what is filed — "original" (bản chính), "certified_copy" (bản sao có chứng thực), "copy" (bản sao),
  "original_or_certified_copy" (bản chính hoặc bản sao có chứng thực), "copy_with_original" (bản sao kèm
  bản chính để đối chiếu);
- `when`: a condition on the reception data (`applicant_type == "organisation"`): the document is asked
  only when it holds;
- `one_of`: a group name: the entries of one group are alternatives, any one of them is enough.

`when` is a small expression language (Python's syntax): names of reception data, constants, ==, !=, <, <=,
>, >=, in, not in, and, or, not. It is evaluated here without the script engine: it cannot call anything.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

DOCUMENT_FORMS = {
    "original": "bản chính",
    "certified_copy": "bản sao có chứng thực",
    "copy": "bản sao",
    "original_or_certified_copy": "bản chính hoặc bản sao có chứng thực",
    "copy_with_original": "bản sao kèm bản chính để đối chiếu",
}
_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
MAX_WHEN = 500  # characters


def check_when(text: str) -> list[str]:
    """Problems of a `when` condition ([] when it can be evaluated)."""
    if not isinstance(text, str) or not text.strip():
        return ["must be a non-empty condition like applicant_type == \"organisation\""]
    if len(text) > MAX_WHEN:
        return [f"longer than {MAX_WHEN} characters"]
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        return [f"syntax error: {exc.msg} (a Python-like condition: a == \"x\" and b > 1)"]
    bad = [type(n).__name__ for n in ast.walk(tree) if not isinstance(n, _ALLOWED)]
    if bad:
        return [f"only data names, constants, comparisons and and/or/not are allowed, not {bad[0]}"]
    return []


_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Compare, ast.Name, ast.Load,
            ast.Constant, ast.Tuple, ast.List, *_COMPARE)


def evaluate_when(text: str, data: Mapping[str, Any]) -> bool:
    """Evaluate a checked `when` on the reception data; a missing name is None; a type mismatch is False."""
    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return data.get(node.id)
        if isinstance(node, (ast.Tuple, ast.List)):
            return [value(e) for e in node.elts]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not value(node.operand)
        if isinstance(node, ast.BoolOp):
            items = (value(v) for v in node.values)
            return all(items) if isinstance(node.op, ast.And) else any(items)
        if isinstance(node, ast.Compare):
            left = value(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = value(right_node)
                try:
                    if not _COMPARE[type(op)](left, right):
                        return False
                except TypeError:
                    return False
                left = right
            return True
        raise ValueError(f"not allowed in a condition: {type(node).__name__}")

    if check_when(text):
        raise ValueError(f"condition {text!r}: {check_when(text)[0]}")
    return bool(value(ast.parse(text.strip(), mode="eval")))


def applicable(documents: Sequence, data: Mapping[str, Any]) -> list[tuple[int, Any]]:
    """The (index, document) entries that this dossier's data asks for (their `when` holds or is absent)."""
    return [(i, d) for i, d in enumerate(documents) if not d.when or evaluate_when(d.when, data)]


def missing_documents(documents: Sequence, received: set[str], data: Mapping[str, Any]) -> list[str]:
    """What a dossier still lacks, by name: each required document that applies, and each `one_of` group of
    which none was received ("một trong: A; B"). `received` holds the names of the documents received."""
    missing, groups = [], {}
    for _i, d in applicable(documents, data):
        if d.one_of:
            groups.setdefault(d.one_of, []).append(d)
        elif d.required and d.name_vi not in received:
            missing.append(d.name_vi)
    for members in groups.values():
        if any(m.required for m in members) and not any(m.name_vi in received for m in members):
            missing.append("một trong: " + "; ".join(m.name_vi for m in members))
    return missing
