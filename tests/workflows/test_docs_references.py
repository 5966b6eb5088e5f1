"""The project's own docs and comments point only at what the project holds."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: an absolute path on somebody's machine, never in a project file
MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:work|home|Users|root|srv|opt)/[\w.-]+")
DOCUMENT = re.compile(r"\b[\w./-]+\.md\b")
TEXT = (".py", ".md", ".toml", ".json", ".bpmn", ".cfg", ".ini", ".txt", ".mako")


def project_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file but the environment's
        listed = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                  if not {".venv", ".git", "var", "__pycache__"} & set(p.relative_to(ROOT).parts)]
    return [ROOT / name for name in listed
            if name.endswith(TEXT) and not name.startswith("api/static/") and (ROOT / name).is_file()]


def test_no_file_names_a_document_the_project_does_not_hold():
    held = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    cited = {(f.relative_to(ROOT).as_posix(), name) for f in project_files()
             for name in DOCUMENT.findall(f.read_text(encoding="utf-8", errors="replace"))}
    missing = sorted((where, name) for where, name in cited if Path(name).name not in held)
    assert missing == []


def test_no_file_names_a_path_on_a_particular_machine():
    here = Path(__file__).relative_to(ROOT).as_posix()
    found = sorted((f.relative_to(ROOT).as_posix(), m) for f in project_files()
                   if f.relative_to(ROOT).as_posix() != here
                   for m in MACHINE_PATH.findall(f.read_text(encoding="utf-8", errors="replace")))
    assert found == []


def test_the_library_guide_names_no_editor_the_project_lacks():
    guide = (ROOT / "workflows" / "README.md").read_text(encoding="utf-8")
    assert "web modeler" not in guide
    # the studio exists: the guide must not say the project has no editor
    assert "no editor of its own" not in guide
