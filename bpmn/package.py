"""Procedure packages: a folder with procedure.toml, the diagram and forms/*.json, loaded as one value.

The package is what a deployment stores: `package_to_document` gives a JSON-able dict for the version row,
`package_from_document` gives the same package (and checksum) back without touching the file system.
"""
from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpmn.checklist import DOCUMENT_FORMS, check_when
from bpmn.durations import DEADLINE_UNITS, Deadline, Duration, parse_duration

DOCUMENT_FORMAT = 1
TOML_NAME = "procedure.toml"
FORMS_DIR = "forms"
CHANNELS = ("counter", "online", "postal")
PAUSE_RULES = ("resume", "restart")
_TOP_KEYS = ("slug", "code", "local_code", "process_id", "name_vi", "name_en", "level", "field", "agency_kind",
             "pause_rule", "channels", "result_delivery", "deadline", "fees", "documents", "extension",
             "uses", "consultations", "shares")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PROCESS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
#: (table or None, key or None, message, severity): a finding in procedure.toml before it gets a file name.
Finding = tuple[str | None, str | None, str, str]


@dataclass(frozen=True)
class Fee:
    """A fee or charge (lệ phí, phí) in VND."""

    name_vi: str
    amount: int
    name_en: str | None = None
    #: a fee schedule (engine.fees): the amount is per unit of the dossier's data field `per` (pages, copies),
    #: counting units per_from..per_to only, times the field `times`, capped at max_amount before `times`;
    #: nothing is due when the data field `exempt_when` is true or the dossier came by an `exempt_channels` one
    per: str | None = None
    per_from: int | None = None
    per_to: int | None = None
    times: str | None = None
    max_amount: int | None = None
    exempt_when: str | None = None
    exempt_channels: tuple[str, ...] = ()


FEE_KEYS = ("name_vi", "amount", "name_en", "per", "per_from", "per_to", "times", "max_amount", "exempt_when",
            "exempt_channels")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _read_fee(f: _Reader, item: Mapping) -> Fee:
    """One [[fees]] table: a fixed amount, or a schedule over the dossier's data (see Fee)."""
    fields = {}
    for key in ("per", "times", "exempt_when"):
        value = f.text(key, required=False)
        if value is not None and not _FIELD.match(value):
            f.note(key, f"{value!r} is not a data field name (letters, digits and _)")
        fields[key] = value
    for key in ("per_from", "per_to", "max_amount"):
        fields[key] = f.integer(key, None, 1 if key != "max_amount" else 0) if key in item else None
    if (fields["per_from"] or fields["per_to"]) and not fields["per"]:
        f.note("per", "per_from and per_to count units of `per`: name the data field")
    exempt = f.choices("exempt_channels", CHANNELS) if "exempt_channels" in item else ()
    return Fee(f.text("name_vi") or "", f.integer("amount", None, 0) or 0, f.text("name_en", False),
               exempt_channels=exempt, **fields)


@dataclass(frozen=True)
class RequiredDocument:
    """A document the citizen files (thành phần hồ sơ)."""

    name_vi: str
    copies: int = 1
    required: bool = True
    name_en: str | None = None
    form: str | None = None  # bpmn.checklist.DOCUMENT_FORMS: original, certified_copy, copy, ...
    when: str | None = None  # a condition on the reception data: asked only when it holds
    one_of: str | None = None  # a group of alternatives: any one of its entries is enough


@dataclass(frozen=True)
class LegalExtension:
    """How much working time the procedure's own law lets the agency add to the deadline, and when."""

    max: Duration
    when_vi: str | None = None  # the case, e.g. "cần xác minh thêm"
    basis: str | None = None  # the legal text that allows it


#: what a consulted agency's silence counts as when its step's deadline passes
SILENCE_RULES = ("agree", "disagree", "none")


@dataclass(frozen=True)
class Consultation:
    """A step that asks another agency for its opinion ([[consultations]] in procedure.toml).

    The step is a user task with its own `branch` (its answer kept under that name) and its own `budget`
    (the agency's deadline, in working time). When the deadline passes without an answer, the scheduler
    completes the step with the outcome `on_silence`: "agree" where the law says silence is agreement,
    "disagree" where it is a refusal, "none" to record the silence and let the procedure go on without an
    opinion. `basis` names the legal text, `sure` says whether it was checked against a public text.
    """

    task: str
    on_silence: str
    basis: str | None = None
    sure: bool = False


@dataclass(frozen=True)
class Share:
    """One agency's share of an inter-agency bundle ([[shares]] in procedure.toml, engine.interagency).

    `kind` is the agency kind of the lanes it covers ("" or the procedure's agency_kind: the lead agency,
    whose lanes carry no prefix); `budget` its working time, counted from the hand-over to it.
    """

    kind: str
    budget: Duration
    name_vi: str
    basis: str | None = None
    sure: bool = False


@dataclass(frozen=True)
class ProcedureMeta:
    """The catalog entry of procedure.toml, typed (see workflows/README.md)."""

    slug: str
    code: str
    local_code: str | None
    process_id: str
    name_vi: str
    name_en: str
    level: str
    field: str
    agency_kind: str
    deadline: Deadline
    same_day_cutoff: dt.time | None
    pause_rule: str
    channels: tuple[str, ...]
    result_delivery: tuple[str, ...]
    fees: tuple[Fee, ...]
    documents: tuple[RequiredDocument, ...]
    extension: LegalExtension | None = None  # [extension] in procedure.toml
    uses: tuple[str, ...] = ()  # slugs of sibling packages whose processes this diagram calls (call activity)
    consultations: tuple[Consultation, ...] = ()  # [[consultations]]: steps asking other agencies
    shares: tuple[Share, ...] = ()  # [[shares]]: an inter-agency bundle's agencies and their time

    def share_of(self, kind: str | None) -> Share | None:
        """The share of the lanes of `kind` (None or "": the lead agency's unprefixed lanes)."""
        want = kind or self.agency_kind
        return next((s for s in self.shares if (s.kind or self.agency_kind) == want), None)


@dataclass(frozen=True)
class Problem:
    """One finding about a procedure file, printed like a compiler message."""

    file: str
    element_id: str | None
    line: int | None
    message: str
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        target = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}:{target} {self.message} ({self.severity})"


class PackageError(Exception):
    """A package cannot be loaded or parsed; `problems` says why, one Problem per finding."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ProcedurePackage:
    """A loaded procedure: catalog entry, diagram text and form schemas, with a content checksum."""

    meta: ProcedureMeta
    bpmn_filename: str
    bpmn_text: str
    forms: Mapping[str, dict]  # file name -> JSON Schema (the used packages' forms included)
    checksum: str  # sha256 hex over canonical(meta) + bpmn + forms (+ the used packages' diagrams)
    #: used package slug -> {"process_id", "bpmn_filename", "bpmn_text"}: stored with the version, so a
    #: version keeps the called diagram it was deployed with
    called: Mapping[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageParts:
    """What could be read from a package folder, with every problem met; a part is None if unreadable."""

    folder: Path
    meta: ProcedureMeta | None
    toml_text: str | None
    bpmn_filename: str
    bpmn_text: str | None
    forms: Mapping[str, dict]
    problems: tuple[Problem, ...]

    toml_file: str
    called: Mapping[str, dict] = field(default_factory=dict)  # as ProcedurePackage.called


def read_parts(folder: Path, *, follow_uses: bool = True) -> PackageParts:
    """Read procedure.toml, the diagram and the forms of a folder, noting problems instead of raising;
    with `uses`, the sibling packages it calls too (their diagrams, and their forms merged into its own)."""
    folder = Path(folder)
    toml_file = str(folder / TOML_NAME)
    problems: list[Problem] = []
    meta = text = None
    try:
        text = (folder / TOML_NAME).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(toml_file, None, None, "missing: every procedure folder needs procedure.toml"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(toml_file, None, None, f"cannot read: {exc}"))
    if text is not None:
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+)", str(exc))
            problems.append(Problem(toml_file, None, int(m.group(1)) if m else None, f"not valid TOML: {exc}"))
        else:
            meta, found = read_meta(table, folder_name=folder.name)
            problems += [Problem(toml_file, where, toml_line(text, where, key), message, severity)
                         for where, key, message, severity in found]
    bpmn_name, bpmn_text = _read_diagram(folder, meta.slug if meta else None, problems)
    forms = _read_forms(folder, problems)
    called = _read_used(folder, meta, text, forms, problems) if follow_uses and meta is not None else {}
    return PackageParts(folder, meta, text, bpmn_name, bpmn_text, forms, tuple(problems),
                        toml_file, called)


def _read_used(folder: Path, meta: ProcedureMeta, toml_text: str | None, forms: dict[str, dict],
               problems: list[Problem]) -> dict[str, dict]:
    """The diagrams of the packages `uses` names (siblings in the library); their forms join `forms`."""
    called = {}
    where = (str(folder / TOML_NAME), None, toml_line(toml_text, None, "uses"))
    for slug in meta.uses:
        sibling = folder.parent / slug
        if not (sibling / TOML_NAME).is_file():
            problems.append(Problem(*where, f"uses: no package {slug!r} next to this one (expected {sibling})"))
            continue
        used = read_parts(sibling, follow_uses=False)
        if any(p.is_error for p in used.problems) or used.meta is None or used.bpmn_text is None:
            problems.append(Problem(*where, f"uses: package {slug!r} has errors: run motcua validate on it"))
            continue
        if used.meta.uses:
            problems.append(Problem(*where, f"uses: package {slug!r} itself uses others; only one level is "
                                            f"supported"))
            continue
        for name, schema in used.forms.items():
            if name in forms and forms[name] != schema:
                problems.append(Problem(*where, f"uses: package {slug!r} has a form {name!r} that differs from "
                                                f"this package's: rename one of them"))
            forms.setdefault(name, schema)
        called[slug] = {"process_id": used.meta.process_id, "bpmn_filename": used.bpmn_filename,
                        "bpmn_text": used.bpmn_text}
    return called


def load_package(folder: Path) -> ProcedurePackage:
    """Load a package folder; raise PackageError listing the problems when it cannot be loaded."""
    parts = read_parts(folder)
    errors = [p for p in parts.problems if p.is_error]
    if errors or parts.meta is None or parts.bpmn_text is None:  # no meta or text without an error is impossible
        raise PackageError(errors)
    return _package(parts.meta, parts.bpmn_filename, parts.bpmn_text, parts.forms, parts.called)


def package_to_document(pkg: ProcedurePackage) -> dict:
    """Return the package as a JSON-able dict (stored in the procedure version row)."""
    doc = {"format": DOCUMENT_FORMAT, "procedure": meta_to_table(pkg.meta), "bpmn_filename": pkg.bpmn_filename,
           "bpmn_text": pkg.bpmn_text, "forms": copy.deepcopy(dict(pkg.forms)), "checksum": pkg.checksum}
    if pkg.called:
        doc["called"] = copy.deepcopy(dict(pkg.called))
    return doc


def package_from_document(doc: Mapping[str, Any]) -> ProcedurePackage:
    """Rebuild a package from package_to_document's dict; raise PackageError if it is not one."""
    where = "<stored package>"
    if not isinstance(doc, Mapping) or doc.get("format") != DOCUMENT_FORMAT:
        raise PackageError([Problem(where, None, None, f"not a package document of format {DOCUMENT_FORMAT}")])
    meta, found = read_meta(doc.get("procedure") or {}, folder_name=None)
    errors = [Problem(f"{where} {TOML_NAME}", w, None, m, s) for w, _k, m, s in found if s == "error"]
    if meta is None or errors:
        raise PackageError(errors or [Problem(where, None, None, "the procedure table is missing")])
    forms = copy.deepcopy(dict(doc.get("forms") or {}))
    pkg = _package(meta, str(doc.get("bpmn_filename")), str(doc.get("bpmn_text")), forms,
                   copy.deepcopy(dict(doc.get("called") or {})))
    if doc.get("checksum") not in (None, pkg.checksum):
        raise PackageError([Problem(where, None, None, f"checksum mismatch: stored {doc.get('checksum')}, "
                                                       f"content gives {pkg.checksum}")])
    return pkg


def compute_checksum(meta: ProcedureMeta, bpmn_filename: str, bpmn_text: str, forms: Mapping[str, dict],
                     called: Mapping[str, dict] | None = None) -> str:
    """Hash the canonical content: TOML formatting, comments and key order do not change it."""
    canonical = {"procedure": meta_to_table(meta), "bpmn_filename": bpmn_filename, "bpmn": bpmn_text,
                 "forms": dict(forms)}
    if called:
        canonical["called"] = dict(called)
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _package(meta: ProcedureMeta, bpmn_name: str, bpmn_text: str, forms: Mapping[str, dict],
             called: Mapping[str, dict] | None = None) -> ProcedurePackage:
    forms = {name: forms[name] for name in sorted(forms)}
    called = dict(called or {})
    return ProcedurePackage(meta, bpmn_name, bpmn_text, forms,
                            compute_checksum(meta, bpmn_name, bpmn_text, forms, called), called)


def _read_diagram(folder: Path, slug: str | None, problems: list[Problem]) -> tuple[str, str | None]:
    candidates = sorted(p for p in folder.glob("*.bpmn") if p.is_file())
    chosen = next((p for p in candidates if slug and p.name == f"{slug}.bpmn"), None)
    if chosen is None and len(candidates) == 1:
        chosen = candidates[0]
    if chosen is None:
        wanted = f"{slug}.bpmn" if slug else "<slug>.bpmn"
        found = ", ".join(p.name for p in candidates) or "none"
        problems.append(Problem(str(folder / wanted), None, None,
                                f"missing: the package needs its diagram {wanted} (found: {found})"))
        return wanted, None
    try:
        return chosen.name, chosen.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(chosen), None, None, f"cannot read (a diagram is UTF-8 XML): {exc}"))
        return chosen.name, None


def _read_forms(folder: Path, problems: list[Problem]) -> dict[str, dict]:
    forms: dict[str, dict] = {}
    for path in sorted((folder / FORMS_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), None, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), None, None, f"cannot read: {exc}"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(path), "$", 1, f"a form is a JSON Schema object, not {type(data).__name__}"))
            continue
        forms[path.name] = data
    return forms


class _Reader:
    """Read one TOML table, noting each problem with the table and key it is about."""

    def __init__(self, table: Mapping, where: str | None, findings: list[Finding]):
        self.table, self.where, self.findings = table, where, findings

    def note(self, key: str | None, message: str, severity: str = "error") -> None:
        self.findings.append((self.where, key, f"{key}: {message}" if key else message, severity))

    def unknown(self, known: tuple[str, ...]) -> None:
        for key in (k for k in self.table if k not in known):
            close = difflib.get_close_matches(key, known, n=1)
            self.note(key, "unknown key" + (f"; did you mean {close[0]!r}?" if close else ""), "warning")

    def text(self, key: str, required: bool = True) -> str | None:
        value = self.table.get(key)
        if value is None:
            if required:
                self.note(key, "missing (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.note(key, f"must be a non-empty string, got {value!r}")
            return None
        return value.strip()

    def integer(self, key: str, default: int | None, minimum: int) -> int | None:
        value = self.table.get(key, default)
        if value is None:
            self.note(key, "missing (required)")
        elif isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.note(key, f"must be a whole number >= {minimum}, got {value!r}")
        else:
            return value
        return None

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            self.note(key, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def choices(self, key: str, choices: tuple[str, ...]) -> tuple[str, ...]:
        values = self.table.get(key)
        if not isinstance(values, list) or not values:
            self.note(key, f"must be a non-empty list of {', '.join(choices)}")
            return ()
        for value in values:
            if value not in choices:
                self.note(key, f"{value!r} is not one of {', '.join(choices)}")
        if len(set(map(str, values))) != len(values):
            self.note(key, "lists a value twice")
        return tuple(str(v) for v in values)

    def tables(self, key: str) -> list[Mapping]:
        values = self.table.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
            self.note(key, f"must be an array of tables ([[{key}]])")
            return []
        return values


def read_meta(table: Mapping, folder_name: str | None) -> tuple[ProcedureMeta | None, list[Finding]]:
    """Check a procedure.toml table; return the meta (None on any error) and the findings."""
    findings: list[Finding] = []
    r = _Reader(table, None, findings)
    r.unknown(_TOP_KEYS)
    slug = r.text("slug")
    if slug and not _SLUG.match(slug):
        r.note("slug", f"{slug!r} must be lower-case words joined by '-' (like household-business)")
    elif slug and folder_name is not None and slug != folder_name:
        r.note("slug", f"{slug!r} must equal the folder name {folder_name!r}")
    process_id = r.text("process_id")
    if process_id and not _PROCESS_ID.match(process_id):
        r.note("process_id", f"{process_id!r} is not a valid BPMN id")
    values = {key: r.text(key) for key in ("code", "name_vi", "name_en", "level", "field", "agency_kind")}
    local_code = r.text("local_code", required=False)
    pause_rule = r.choice("pause_rule", PAUSE_RULES)
    channels = r.choices("channels", CHANNELS)
    result_delivery = r.choices("result_delivery", CHANNELS)
    deadline, cutoff = _read_deadline(r, findings)
    fees = []
    for i, item in enumerate(r.tables("fees"), 1):
        f = _Reader(item, f"fees #{i}", findings)
        f.unknown(FEE_KEYS)
        fees.append(_read_fee(f, item))
    documents = []
    for i, item in enumerate(r.tables("documents"), 1):
        d = _Reader(item, f"documents #{i}", findings)
        d.unknown(("name_vi", "copies", "required", "name_en", "form", "when", "one_of"))
        required = item.get("required", True)
        if not isinstance(required, bool):
            d.note("required", f"must be true or false, got {required!r}")
        form = d.text("form", False)
        if form is not None and form not in DOCUMENT_FORMS:
            d.note("form", f"{form!r} is not one of {', '.join(DOCUMENT_FORMS)}")
        when = d.text("when", False)
        for message in check_when(when) if when is not None else []:
            d.note("when", message)
        one_of = d.text("one_of", False)
        documents.append(RequiredDocument(d.text("name_vi") or "", d.integer("copies", 1, 1) or 1,
                                          bool(required), d.text("name_en", False), form, when, one_of))
    groups = [doc.one_of for doc in documents if doc.one_of]
    for i, doc in enumerate(documents, 1):
        if doc.one_of and groups.count(doc.one_of) == 1:
            findings.append((f"documents #{i}", "one_of", f"one_of: {doc.one_of!r} has no other document: a "
                                                          f"group of alternatives needs two or more", "warning"))
    extension = _read_extension(r, findings)
    uses = r.table.get("uses", [])
    if not isinstance(uses, list) or not all(isinstance(u, str) and _SLUG.match(u) for u in uses):
        r.note("uses", "must be a list of package slugs, like [\"identity-check\"]")
        uses = []
    elif slug in uses:
        r.note("uses", f"{slug!r} cannot use itself")
        uses = []
    consultations = _read_consultations(r, findings)
    shares = _read_shares(r, findings, values["agency_kind"])
    if any(severity == "error" for *_rest, severity in findings):
        return None, findings
    meta = ProcedureMeta(slug=slug, code=values["code"], local_code=local_code, process_id=process_id,
                         name_vi=values["name_vi"], name_en=values["name_en"], level=values["level"],
                         field=values["field"], agency_kind=values["agency_kind"], deadline=deadline,
                         same_day_cutoff=cutoff, pause_rule=pause_rule, channels=channels,
                         result_delivery=result_delivery, fees=tuple(fees), documents=tuple(documents),
                         extension=extension, uses=tuple(uses), consultations=consultations,
                         shares=shares)
    return meta, findings


def _read_shares(top: _Reader, findings: list[Finding], lead_kind: str | None) -> tuple[Share, ...]:
    out: list[Share] = []
    for i, item in enumerate(top.tables("shares"), 1):
        r = _Reader(item, f"shares #{i}", findings)
        r.unknown(("kind", "budget", "name_vi", "basis", "sure"))
        kind = item.get("kind", "")
        if not isinstance(kind, str):
            r.note("kind", f"must be an agency kind (\"\" for the lead agency), got {kind!r}")
            kind = ""
        kind = kind.strip()
        if any((seen.kind or lead_kind) == (kind or lead_kind) for seen in out):
            r.note("kind", f"{kind or lead_kind!r} already has a share above")
        text = r.text("budget")
        budget = None
        if text is not None:
            try:
                budget = parse_duration(text)
            except ValueError as exc:
                r.note("budget", str(exc))
            else:
                if budget.is_zero:
                    r.note("budget", "must be more than zero working time")
        sure = item.get("sure", False)
        if not isinstance(sure, bool):
            r.note("sure", f"must be true or false, got {sure!r}")
        out.append(Share(kind, budget or Duration(0, 0), r.text("name_vi") or "", r.text("basis", False),
                         sure is True))
    return tuple(out)


def _read_consultations(top: _Reader, findings: list[Finding]) -> tuple[Consultation, ...]:
    out: list[Consultation] = []
    for i, item in enumerate(top.tables("consultations"), 1):
        c = _Reader(item, f"consultations #{i}", findings)
        c.unknown(("task", "on_silence", "basis", "sure"))
        task = c.text("task")
        if task and any(task == seen.task for seen in out):
            c.note("task", f"{task!r} is already a consultation above")
        on_silence = c.choice("on_silence", SILENCE_RULES)
        sure = item.get("sure", False)
        if not isinstance(sure, bool):
            c.note("sure", f"must be true or false, got {sure!r}")
        basis = c.text("basis", False)
        if on_silence in ("agree", "disagree") and not basis:
            c.note("basis", f"silence counts as {on_silence!r} only where a legal text says so: name it in basis")
        out.append(Consultation(task or "", on_silence or "none", basis, sure is True))
    return tuple(out)


def _read_extension(top: _Reader, findings: list[Finding]) -> LegalExtension | None:
    table = top.table.get("extension")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        top.note("extension", "must be a table [extension] with max (and when_vi, basis)")
        return None
    r = _Reader(table, "extension", findings)
    r.unknown(("max", "when_vi", "basis"))
    text = r.text("max")
    if text is None:
        return None
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        r.note("max", str(exc))
        return None
    if duration.is_zero:
        r.note("max", "must be more than zero working time (leave [extension] out when the law allows none)")
        return None
    return LegalExtension(duration, r.text("when_vi", False), r.text("basis", False))


def _read_deadline(top: _Reader, findings: list[Finding]) -> tuple[Deadline | None, dt.time | None]:
    table = top.table.get("deadline")
    if not isinstance(table, Mapping):
        top.note("deadline", "missing (required table [deadline] with unit and value)" if table is None
                 else "must be a table [deadline] with unit and value")
        return None, None
    r = _Reader(table, "deadline", findings)
    r.unknown(("unit", "value", "cutoff"))
    unit = r.choice("unit", DEADLINE_UNITS)
    value = 0
    if unit == "same_day":
        if "value" in table:
            r.note("value", "ignored for unit = same_day", "warning")
    elif unit is not None:
        value = r.integer("value", None, 1)
    cutoff = table.get("cutoff")
    if cutoff is not None and unit != "same_day":
        r.note("cutoff", "only used with unit = same_day; ignored", "warning")
        cutoff = None
    elif isinstance(cutoff, str):  # "15:00"; a bare TOML time (15:00:00) arrives as dt.time already
        try:
            cutoff = dt.time.fromisoformat(cutoff.strip())
        except ValueError:
            pass
    if cutoff is not None and not isinstance(cutoff, dt.time):
        r.note("cutoff", f"{cutoff!r} is not a clock time like \"15:00\"")
        cutoff = None
    if unit is None or value is None:
        return None, None
    return Deadline(unit, value), cutoff


def meta_to_table(meta: ProcedureMeta) -> dict[str, Any]:
    """Write the meta back as a procedure.toml-shaped, JSON-able table (None values left out)."""
    deadline: dict[str, Any] = {"unit": meta.deadline.unit}
    if meta.deadline.unit != "same_day":
        deadline["value"] = meta.deadline.value
    if meta.same_day_cutoff is not None:
        deadline["cutoff"] = meta.same_day_cutoff.isoformat(
            timespec="minutes" if not meta.same_day_cutoff.second else "seconds")

    def clean(d: dict) -> dict:
        return {k: v for k, v in d.items() if v is not None}

    extension = None if meta.extension is None else clean(
        {"max": meta.extension.max.isoformat(), "when_vi": meta.extension.when_vi, "basis": meta.extension.basis})
    return clean({
        "extension": extension,
        "uses": list(meta.uses) or None,
        "consultations": [clean({"task": c.task, "on_silence": c.on_silence, "basis": c.basis, "sure": c.sure})
                          for c in meta.consultations] or None,
        "shares": [clean({"kind": s.kind, "budget": s.budget.isoformat(), "name_vi": s.name_vi, "basis": s.basis,
                          "sure": s.sure}) for s in meta.shares] or None,
        "slug": meta.slug, "code": meta.code, "local_code": meta.local_code, "process_id": meta.process_id,
        "name_vi": meta.name_vi, "name_en": meta.name_en, "level": meta.level, "field": meta.field,
        "agency_kind": meta.agency_kind, "pause_rule": meta.pause_rule, "channels": list(meta.channels),
        "result_delivery": list(meta.result_delivery), "deadline": deadline,
        "fees": [clean({"name_vi": f.name_vi, "amount": f.amount, "name_en": f.name_en, "per": f.per,
                        "per_from": f.per_from, "per_to": f.per_to, "times": f.times, "max_amount": f.max_amount,
                        "exempt_when": f.exempt_when, "exempt_channels": list(f.exempt_channels) or None})
                 for f in meta.fees],
        "documents": [clean({"name_vi": d.name_vi, "copies": d.copies, "required": d.required,
                             "name_en": d.name_en, "form": d.form, "when": d.when, "one_of": d.one_of})
                      for d in meta.documents],
    })


def toml_line(text: str | None, where: str | None, key: str | None) -> int | None:
    """Find the line of `key` in table `where` ("deadline", "fees #2", None = top level) of a TOML text."""
    if text is None:
        return None
    m = re.match(r"^(\w+)(?: #(\d+))?$", where or "")
    wanted = (m.group(1), int(m.group(2) or 1)) if m else None
    current, seen, header = None, {}, None
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=") if key else None
    for number, line in enumerate(text.splitlines(), 1):
        h = re.match(r"^\s*\[\[?\s*([\w.-]+)\s*\]\]?", line)
        if h:
            seen[h.group(1)] = seen.get(h.group(1), 0) + 1
            current = (h.group(1), seen[h.group(1)])
            if header is None and (current == wanted or (wanted is None and h.group(1) == key)):
                header = number
        elif current == wanted and key_re and key_re.match(line):
            return number
    return header
