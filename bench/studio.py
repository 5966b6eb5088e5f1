"""The studio's server work (a benchmark, not a test): live lint of a draft, and migrating running dossiers.

Lint: engine.versioning.drafts.lint on the birth-registration draft (what each debounced edit costs the server),
and on a draft whose diagram is grown to about 200 elements by chaining 85 extra user tasks (the issue's size);
p50/p95 over --samples runs. Migration: N dossiers received on version 1, then a dry run and a real run to
version 2 (a changed budget), seconds per run and per dossier. SQLite in a temporary file.

    .venv/bin/python bench/studio.py [--samples 50] [--dossiers 200]
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import select  # noqa: E402
from support import APPLICANT, PASSWORD, WORKFLOWS  # noqa: E402

from config import load_settings  # noqa: E402
from engine import dossiers, migrate  # noqa: E402
from engine.db import make_engine, make_sessionmaker  # noqa: E402
from engine.deploy import deploy_path  # noqa: E402
from engine.models import Agency, User  # noqa: E402
from engine.runtime import Runtime  # noqa: E402
from engine.seed import seed_demo  # noqa: E402
from engine.versioning import drafts, migration  # noqa: E402

SLUG = "birth-registration"


def grown(text: str, extra: int) -> str:
    """The diagram with `extra` user tasks chained between `start` and its first step (each with its flow)."""
    match = re.search(r'<bpmn:sequenceFlow id="([^"]+)" sourceRef="start" targetRef="([^"]+)"', text)
    flow_id, first = match.group(1), match.group(2)
    tasks, flows = [], []
    previous = "start"
    for i in range(extra):
        tid = f"extra_{i}"
        tasks.append(f'<bpmn:userTask id="{tid}" name="Bước {i}"><bpmn:extensionElements><spiffworkflow:properties>'
                     f'<spiffworkflow:property name="budget" value="PT1M" /></spiffworkflow:properties>'
                     f'</bpmn:extensionElements></bpmn:userTask>')
        flows.append(f'<bpmn:sequenceFlow id="f_{tid}" sourceRef="{previous}" targetRef="{tid}" />')
        previous = tid
    text = text.replace(match.group(0), f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{previous}" targetRef="{first}"')
    text = text.replace('<bpmn:flowNodeRef>start</bpmn:flowNodeRef>', '<bpmn:flowNodeRef>start</bpmn:flowNodeRef>'
                        + "".join(f"<bpmn:flowNodeRef>extra_{i}</bpmn:flowNodeRef>" for i in range(extra)))
    return text.replace("</bpmn:process>", "".join(tasks + flows) + "</bpmn:process>", 1)


def library_runtime(tmp: str) -> Runtime:
    """A runtime on a new SQLite database in `tmp` holding the demo organisation and the library, deployed."""
    url = f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    rt = Runtime(settings=load_settings({"database": {"url": url}}), sessions=make_sessionmaker(engine))
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, WORKFLOWS, actor=None, now=rt.clock.now())
        s.commit()
    return rt


def percentiles(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--dossiers", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = library_runtime(tmp)
        with rt.sessions() as s:
            user = {u.username: u for u in s.scalars(select(User))}
            designer, approver = user["tinh.designer"], user["tinh.approver"]
            draft = drafts.start_draft(s, SLUG, actor=designer, now=rt.clock.now())
            s.commit()
            big = grown(draft.bpmn_text, 85)
            elements = len(re.findall(r"<bpmn:(?:userTask|sequenceFlow|exclusiveGateway|startEvent|endEvent|lane) ", big))
            assert not [m for m in drafts.lint(rt, s, draft, big) if m.severity == "error"], "the grown diagram lints clean"
            for label, text in (("library diagram", None), (f"{elements}-element diagram", big)):
                times = []
                for _ in range(args.samples):
                    t0 = time.perf_counter()
                    drafts.lint(rt, s, draft, text)
                    times.append(time.perf_counter() - t0)
                p50, p95 = percentiles(times)
                print(f"lint, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.samples} runs)")

            tanlap = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
            for _ in range(args.dossiers):
                dossiers.receive_dossier(rt, s, procedure=SLUG, agency_id=tanlap, channel="counter",
                                         applicant=APPLICANT, actor=user["tanlap.reception"], now=rt.clock.now())
            s.commit()
            draft = drafts.save_draft(s, SLUG, revision=draft.revision, actor=designer, now=rt.clock.now(),
                                      bpmn_text=draft.bpmn_text.replace('value="PT2H"', 'value="PT3H"'))
            drafts.approve_draft(rt, s, SLUG, revision=draft.revision, actor=approver, now=rt.clock.now())
            s.commit()
            for dry_run in (True, False):
                t0 = time.perf_counter()
                report = migration.migrate(rt, s, SLUG, 2, dry_run=dry_run, actor=designer, now=rt.clock.now())
                s.rollback() if dry_run else s.commit()
                took = time.perf_counter() - t0
                print(f"migrate {'dry run' if dry_run else 'for real'}: {report.migrated} dossiers in {took:.2f} s "
                      f"({took / max(report.migrated, 1) * 1000:.1f} ms per dossier), {report.refused} refused")
        rt.sessions.kw["bind"].dispose()


if __name__ == "__main__":
    main()
