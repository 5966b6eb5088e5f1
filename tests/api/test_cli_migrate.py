"""`motcua migrate`: a dry run reports and changes nothing; a real run moves the dossier; a dossier at a removed
step is refused (exit 1) unless --map names its new step; an unknown procedure is exit 2."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from support import WORKFLOWS, receive, restore_library

from api.commands.studio import migrate
from bpmn.package import load_package
from engine.deploy import deploy_package
from engine.models import Dossier, ProcedureVersion

SLUG = "birth-registration"


@pytest.fixture
def cli(rt, db_url, monkeypatch):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", db_url)
    monkeypatch.delenv("MOTCUA_CONFIG", raising=False)
    yield lambda *args: CliRunner().invoke(migrate, list(args))
    restore_library(rt)


def _deploy_changed(rt, session, tmp_path, old: str, new: str) -> int:
    folder = tmp_path / f"v-{len(list(tmp_path.iterdir()))}" / SLUG
    shutil.copytree(WORKFLOWS / SLUG, folder)
    diagram = folder / f"{SLUG}.bpmn"
    diagram.write_text(diagram.read_text().replace(old, new))
    version = deploy_package(rt, session, load_package(folder), actor=None, now=rt.clock.now()).version
    session.commit()
    return version


def _version_of(session, dossier_id) -> int:
    session.expire_all()
    return session.get(ProcedureVersion, session.get(Dossier, dossier_id).procedure_version_id).version


def test_dry_run_then_migrate(cli, rt, session, users, tmp_path):
    assert "--dry-run" in CliRunner().invoke(migrate, ["--help"]).output
    dossier = receive(rt, session, users, procedure=SLUG).dossier
    to = _deploy_changed(rt, session, tmp_path, 'value="PT2H"', 'value="PT3H"')
    dry = cli("--procedure", SLUG, "--to", str(to), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{dossier.code} v1 -> v{to} at examine: ok" in dry.output and "1 would be migrated, 0 refused" in dry.output
    assert _version_of(session, dossier.id) == 1
    done = cli("--procedure", SLUG, "--to", str(to))
    assert done.exit_code == 0 and "1 migrated, 0 refused" in done.output, done.output
    assert _version_of(session, dossier.id) == to


def test_a_removed_step_is_refused_unless_mapped(cli, rt, session, users, tmp_path):
    dossier = receive(rt, session, users, procedure=SLUG).dossier
    to = _deploy_changed(rt, session, tmp_path, '"examine"', '"examine_again"')
    refused = cli("--procedure", SLUG, "--to", str(to))
    assert refused.exit_code == 1 and "refused: the open step 'examine'" in refused.output, refused.output
    assert _version_of(session, dossier.id) == 1
    assert cli("--procedure", SLUG, "--to", str(to), "--map", "examine").exit_code == 2
    mapped = cli("--procedure", SLUG, "--to", str(to), "--map", "examine=examine_again")
    assert mapped.exit_code == 0, mapped.output
    assert _version_of(session, dossier.id) == to


def test_an_unknown_procedure_or_version_is_exit_2(cli):
    assert cli("--procedure", "no-such", "--to", "1").exit_code == 2
    result = cli("--procedure", SLUG, "--to", "99")
    assert result.exit_code == 2 and "no version 99" in result.output
