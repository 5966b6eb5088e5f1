"""The files the workspace serves itself: vendored front-end files as the lockfile's build made them, and
message catalogs compiled from their sources."""
from __future__ import annotations

import hashlib
import json

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from support import ROOT

WEB = ROOT / "api" / "web"
VENDOR = WEB / "static" / "vendor"


def test_vendored_files_match_the_manifest_the_build_wrote():
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    lock = json.loads((ROOT / "web-assets" / "package-lock.json").read_text())
    for name, version in manifest["packages"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_vendored_files_are_served_and_bpmn_js_only_by_the_dossier_page(client):
    assert client.get("/web-static/vendor/htmx/htmx.min.js").status_code == 200
    assert client.get("/web-static/vendor/bpmn-js/bpmn-viewer.production.min.js").status_code == 200
    assert "bpmn-viewer" not in client.get("/").get_data(as_text=True)


def _messages(catalog) -> dict:
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    return {key(m.id): key(m.string) for m in catalog if m.id}


def test_every_message_is_translated_and_compiled():
    for po in (WEB / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            source = read_po(fh)
        with po.with_suffix(".mo").open("rb") as fh:
            compiled = read_mo(fh)
        untranslated = [m.id for m in source if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))]
        assert not untranslated, f"{po}: translate these, then `make messages`: {untranslated}"
        assert _messages(source) == _messages(compiled), \
            f"{po.with_suffix('.mo')} is older than its .po: run `make messages`"
    with (WEB / "translations" / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    with (WEB / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        assert template <= {m.id for m in read_po(fh) if m.id}, "run `make messages` after changing a message"


def test_the_catalog_template_holds_every_message_of_the_code(tmp_path):
    """`make messages` was run after the last change of a message in the code or the templates."""
    from babel.messages.frontend import CommandLineInterface

    out = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "--no-location", "-o", str(out), str(WEB)])
    with out.open("rb") as fh:
        extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(fh) if m.id}
    with (WEB / "translations" / "messages.pot").open("rb") as fh:
        committed = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(fh) if m.id}
    assert extracted == committed, f"run `make messages`: new {extracted - committed}, gone {committed - extracted}"
