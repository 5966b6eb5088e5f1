"""The printed forms as data (config/forms.toml): number, title, legal basis, paper and template of each.

A circular that renumbers or retitles the forms (e.g. Circular 03/2025/TT-VPCP) is an edit of the TOML
file, or of a copy named by the setting printing.forms_file; the code asks for forms by key only.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from config.settings import SettingsError

FORMS_FILE = Path(__file__).with_name("forms.toml")
#: CSS page sizes a form may be printed on
PAPERS = {"A5": "A5 portrait", "A4": "A4 portrait", "A4 landscape": "A4 landscape", "A5 landscape": "A5 landscape"}
CERTAINTIES = ("sure", "unsure")
_KEYS = ("number", "title", "legal_basis", "certainty", "paper", "template")


@dataclass(frozen=True)
class FormSpec:
    key: str
    number: str
    title: str
    legal_basis: str
    certainty: str
    paper: str
    template: str

    @property
    def page_size(self) -> str:
        """The value of CSS `@page { size: … }` for this form."""
        return PAPERS[self.paper]


@lru_cache(maxsize=8)
def load_forms(path: str | None = None) -> Mapping[str, FormSpec]:
    """Read and check the forms file; raise SettingsError naming the form and key at fault."""
    file = Path(path) if path else FORMS_FILE
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"printing.forms_file={file}: {exc}") from None
    table = data.get("forms")
    if not isinstance(table, Mapping) or not table:
        raise SettingsError(f"{file}: expected [forms.<key>] tables")
    out = {}
    for key, entry in table.items():
        name = f"{file.name}: forms.{key}"
        if not isinstance(entry, Mapping):
            raise SettingsError(f"{name}: expected a table")
        missing = [k for k in _KEYS if not isinstance(entry.get(k), str) or not entry[k].strip()]
        if missing:
            raise SettingsError(f"{name}: missing or empty {', '.join(missing)}")
        if entry["paper"] not in PAPERS:
            raise SettingsError(f"{name}.paper: one of {', '.join(PAPERS)}")
        if entry["certainty"] not in CERTAINTIES:
            raise SettingsError(f"{name}.certainty: one of {', '.join(CERTAINTIES)}")
        if "/" in entry["template"] or "\\" in entry["template"]:
            raise SettingsError(f"{name}.template: a file name of the templates folder")
        out[key] = FormSpec(key, *(entry[k].strip() for k in _KEYS))
    return MappingProxyType(out)
