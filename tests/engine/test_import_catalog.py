"""`motcua import-catalog`: package skeletons from a national procedure database export."""
from __future__ import annotations

import json
import tomllib

from click.testing import CliRunner
from support import ROOT

from api.cli import main
from bpmn.package import read_meta

EXPORT = ROOT / "tests" / "data" / "national-catalogue.json"


def run(*args):
    return CliRunner().invoke(main, ["import-catalog", *map(str, args)])


def test_each_procedure_becomes_a_skeleton_with_the_catalogue_facts(tmp_path):
    result = run(EXPORT, "--into", tmp_path)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "dang-ky-thanh-lap-ho-kinh-doanh"
    table = tomllib.loads((folder / "procedure.toml").read_text(encoding="utf-8"))
    meta, findings = read_meta(table, folder.name)
    assert meta is not None, findings
    assert meta.code == "1.001612" and meta.level == "commune" and meta.channels == ("counter", "online")
    assert (meta.deadline.unit, meta.deadline.value) == ("working_days", 3)
    assert [f.amount for f in meta.fees] == [100000, 0]
    assert [d.copies for d in meta.documents] == [1, 1]
    text = (folder / "procedure.toml").read_text(encoding="utf-8")
    assert "168/2025/NĐ-CP" in text and "Giấy chứng nhận đăng ký hộ kinh doanh" in text
    assert (folder / "dang-ky-thanh-lap-ho-kinh-doanh.bpmn").exists()
    # the second one: local code kept, same-day deadline, and what is missing said plainly
    other = (tmp_path / "chung-thuc-ban-sao-tu-ban-chinh" / "procedure.toml").read_text(encoding="utf-8")
    meta2, _ = read_meta(tomllib.loads(other), "chung-thuc-ban-sao-tu-ban-chinh")
    assert meta2.code == "2.000815" and meta2.local_code == "2.000815.H26" and meta2.deadline.unit == "same_day"
    assert "# TODO: no documents" in other and "Legal basis: TODO" in other


def test_the_skeleton_passes_the_validator_or_names_what_to_draw(tmp_path):
    run(EXPORT, "--into", tmp_path)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert "in 2 procedures" in result.output  # it parses; the designer fixes what it flags
    assert "Traceback" not in result.output


def test_it_never_overwrites(tmp_path):
    (tmp_path / "dang-ky-thanh-lap-ho-kinh-doanh").mkdir()
    result = run(EXPORT, "--into", tmp_path)
    assert result.exit_code == 1 and "refusing to overwrite" in result.output
    assert not (tmp_path / "chung-thuc-ban-sao-tu-ban-chinh").exists()  # nothing written at all


def test_a_bad_record_is_named_and_nothing_is_written(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"MATTHC": "1.001612", "TENTTHC": "A"}, {"MATTHC": "x", "TENTTHC": ""}]))
    result = run(bad, "--into", tmp_path / "out")
    assert result.exit_code == 1
    assert "[1].MATTHC" in result.output and "[1].TENTTHC" in result.output
    assert not (tmp_path / "out").exists()
    bad.write_text("{oops")
    assert "not JSON" in run(bad, "--into", tmp_path / "out").output
