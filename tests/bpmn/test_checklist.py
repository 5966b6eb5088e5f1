"""Document checklists in procedure.toml: "one of" groups, conditions on the reception data, and the form
of each document (original, certified copy, ...)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bpmn.checklist import applicable, check_when, evaluate_when, missing_documents
from bpmn.package import PackageError, load_package, package_from_document, package_to_document
from bpmn.validation import validate_package

SIMPLE = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "valid" / "simple-permit"
DOCS = '''
[[documents]]
name_vi = "Tờ khai"
form = "original"

[[documents]]
name_vi = "Căn cước công dân"
form = "copy_with_original"
one_of = "identity"

[[documents]]
name_vi = "Hộ chiếu"
form = "certified_copy"
one_of = "identity"

[[documents]]
name_vi = "Giấy ủy quyền"
form = "original_or_certified_copy"
when = 'filed_by == "proxy"'
'''


def _package(tmp_path, extra: str) -> Path:
    folder = tmp_path / "simple-permit"
    shutil.copytree(SIMPLE, folder)
    toml = folder / "procedure.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[:text.index("[[documents]]")] + extra, encoding="utf-8")
    return folder


def test_groups_conditions_and_forms_are_read_and_kept(tmp_path):
    pkg = load_package(_package(tmp_path, DOCS))
    docs = pkg.meta.documents
    assert [(d.form, d.one_of, d.when) for d in docs] == [
        ("original", None, None), ("copy_with_original", "identity", None), ("certified_copy", "identity", None),
        ("original_or_certified_copy", None, 'filed_by == "proxy"')]
    assert package_from_document(package_to_document(pkg)).meta == pkg.meta


def test_what_a_dossier_lacks_depends_on_its_data(tmp_path):
    docs = load_package(_package(tmp_path, DOCS)).meta.documents
    assert [d.name_vi for _i, d in applicable(docs, {"filed_by": "self"})] == ["Tờ khai", "Căn cước công dân", "Hộ chiếu"]
    assert missing_documents(docs, {"Tờ khai"}, {}) == ["một trong: Căn cước công dân; Hộ chiếu"]
    assert missing_documents(docs, {"Tờ khai", "Hộ chiếu"}, {"filed_by": "self"}) == []
    assert missing_documents(docs, {"Tờ khai", "Hộ chiếu"}, {"filed_by": "proxy"}) == ["Giấy ủy quyền"]


@pytest.mark.parametrize(("text", "data", "expected"), [
    ('kind == "organisation"', {"kind": "organisation"}, True),
    ('kind in ("a", "b") and not foreign', {"kind": "b", "foreign": False}, True),
    ("age < 18", {}, False),  # a missing name is None; None < 18 is a type mismatch: False
    ("area >= 250 or floors > 3", {"area": 100, "floors": 4}, True),
])
def test_conditions_are_evaluated_on_the_data(text, data, expected):
    assert evaluate_when(text, data) is expected


@pytest.mark.parametrize("text", ['__import__("os")', "len(x) > 1", "a.b == 1", "x = 1", ""])
def test_a_condition_may_not_call_or_reach_anything(text):
    assert check_when(text)
    with pytest.raises(ValueError):
        evaluate_when(text, {})


@pytest.mark.parametrize(("entry", "fragment"), [
    ('form = "photocopy"', "[documents #1] form: 'photocopy' is not one of original, certified_copy"),
    ('when = "open(x)"', "[documents #1] when: only data names, constants, comparisons"),
    ('when = "a =="', "[documents #1] when: syntax error"),
])
def test_bad_entries_name_their_table_key_and_line(tmp_path, entry, fragment):
    folder = _package(tmp_path, f'[[documents]]\nname_vi = "Tờ khai"\n{entry}\n')
    with pytest.raises(PackageError) as exc:
        load_package(folder)
    assert any(fragment in str(p) and p.line == 27 for p in exc.value.problems), str(exc.value)


def test_a_group_of_one_is_a_warning(tmp_path):
    folder = _package(tmp_path, '[[documents]]\nname_vi = "Tờ khai"\none_of = "identity"\n')
    problems = [p for p in validate_package(folder) if "one_of" in p.message]
    assert [(p.severity, p.line) for p in problems] == [("warning", 27)]
