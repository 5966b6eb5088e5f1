"""What the browser tests share: Debian's chromium, its flags, the app's CSP, where screenshots go.

Debian's chromium (/usr/bin/chromium), not a browser downloaded by `playwright install`: the machines reach
no download site. The `browser` fixture that launches it is in this folder's conftest.py.
"""
from __future__ import annotations

from pathlib import Path

from support import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = ROOT / "var" / "screenshots"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def demo_runtime(folder: Path, name: str):
    """(runtime, engine) on a fresh SQLite file in `folder`: migrated, the demo officials, the library deployed."""
    from support import PASSWORD, WORKFLOWS

    from config import load_settings
    from engine import migrate
    from engine.db import make_engine, make_sessionmaker
    from engine.deploy import deploy_path
    from engine.runtime import Runtime
    from engine.seed import seed_demo

    url = f"sqlite:///{folder / f'{name}.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = load_settings({"database": {"url": url}, "server": {"secret_key_file": str(folder / "key")},
                              "documents": {"path": str(folder / "documents")}})
    rt = Runtime(settings=settings, sessions=make_sessionmaker(engine))
    with rt.sessions() as s:
        seed_demo(s, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        deploy_path(rt, s, WORKFLOWS, actor=None, now=rt.clock.now())
        s.commit()
    return rt, engine


def app_under_csp(rt):
    """The app on `rt`, answering with the production Content-Security-Policy."""
    from api import create_app

    app = create_app(runtime=rt)
    app.after_request(lambda response: (response.headers.setdefault("Content-Security-Policy", CSP), response)[1])
    return app


def demo_app(tmp_path):
    """A served-ready app on a new SQLite file with the demo organisation and the library, under the CSP.

    Returns (app, runtime, engine); dispose of the engine when done.
    """
    rt, engine = demo_runtime(tmp_path, "demo")
    return app_under_csp(rt), rt, engine


def walked_dossier(rt, steps) -> tuple[int, str]:
    """Receive one household-business dossier at Tân Lập's desk and complete `steps` ((step, data) pairs) in
    order, as the officials holding each step's role; return its (id, code)."""
    from sqlalchemy import select
    from support import act

    from engine import dossiers
    from engine.models import Agency, User

    with rt.sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        tanlap = s.scalars(select(Agency.id).where(Agency.code == "000.01.31.H26")).one()
        d = dossiers.receive_dossier(rt, s, procedure="household-business", agency_id=tanlap, channel="counter",
                                     applicant={"name": "Phạm Thị Hoa"}, actor=users["tanlap.reception"],
                                     now=rt.clock.now()).dossier
        s.commit()
        for step, data in steps:
            act(rt, s, users, d.id, step, data)
        s.commit()
        return d.id, d.code
