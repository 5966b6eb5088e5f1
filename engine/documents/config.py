"""The documents' settings ([documents] of the settings) and each procedure's document data.

Per procedure (procedures/<slug>.toml in this package, data not code): the retention period of its files,
the kind of each slot of its document list (original / certified copy / copy), the result's template and
title, and the step whose completion signs the result. A procedure without a file gets `_default.toml`.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config import Settings
from config.settings import SettingsError

HERE = Path(__file__).resolve().parent
PROCEDURES = HERE / "procedures"
TEMPLATES = HERE / "templates"
COPY_TYPES = ("original", "certified_copy", "copy")
BACKENDS = ("local", "s3")


@dataclass(frozen=True)
class DocumentSettings:
    backend: str = "local"
    path: str = "var/documents"
    s3_endpoint: str = ""
    s3_bucket: str = "motcua-documents"
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    max_file_bytes: int = 20 * 1024 * 1024
    signing_pkcs12: str = ""
    signing_passphrase: str = ""
    trust_roots: tuple[str, ...] = ()
    default_retention_years: int = 10
    orphan_grace_hours: int = 24


def document_settings(settings: Settings) -> DocumentSettings:
    """Read [documents]; SettingsError naming the key on a bad value."""
    raw: Mapping = settings.raw.get("documents", {}) or {}
    base = DocumentSettings()
    values = {}
    for name in DocumentSettings.__dataclass_fields__:
        if name not in raw:
            continue
        value, default = raw[name], getattr(base, name)
        if isinstance(default, bool) or isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SettingsError(f"documents.{name}: a whole number >= 1, got {value!r}")
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"documents.{name}: a list of file names, got {value!r}")
            value = tuple(value)
        else:
            value = str(value)
        values[name] = value
    out = DocumentSettings(**{**base.__dict__, **values})
    if out.backend not in BACKENDS:
        raise SettingsError(f"documents.backend: {out.backend!r} is not one of {', '.join(BACKENDS)}")
    return out


@dataclass(frozen=True)
class ProcedureDocuments:
    """What the documents of one procedure need beyond its catalog entry."""

    slug: str
    retention_years: int
    copy_types: tuple[str, ...]
    result_template: str
    result_title_vi: str
    signing_step: str


@lru_cache(maxsize=64)
def procedure_documents(slug: str, default_retention_years: int = 10) -> ProcedureDocuments:
    path = PROCEDURES / f"{slug}.toml"
    if not path.exists():
        path = PROCEDURES / "_default.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    result = data.get("result", {})
    copy_types = tuple(data.get("copy_types", ()))
    for i, kind in enumerate(copy_types):
        if kind not in COPY_TYPES:
            raise SettingsError(f"{path.name}: copy_types[{i}] {kind!r} is not one of {', '.join(COPY_TYPES)}")
    template = result.get("template", "result.html")
    if not (TEMPLATES / template).exists():
        raise SettingsError(f"{path.name}: result.template {template!r} is not in {TEMPLATES.name}/")
    return ProcedureDocuments(slug=slug, retention_years=int(data.get("retention_years", default_retention_years)),
                              copy_types=copy_types, result_template=template,
                              result_title_vi=result.get("title_vi", "Kết quả giải quyết thủ tục hành chính"),
                              signing_step=result.get("signing_step", "sign"))
