"""Shared fixtures: the databases (SQLite and PostgreSQL), a runtime with a frozen clock, demo data."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text
from support import DYNAMIC_TABLES, PASSWORD, POSTGRES_URL, T0, WORKFLOWS

from config import load_settings
from engine import deadlines, migrate
from engine.clock import FrozenClock
from engine.db import make_engine, make_sessionmaker
from engine.models import User
from engine.runtime import Runtime
from engine.seed import seed_demo


def _postgres_available() -> bool:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _database_params():
    params = ["sqlite"]
    if _postgres_available():
        params.append("postgresql")
    elif os.environ.get("MOTCUA_REQUIRE_POSTGRES"):
        raise RuntimeError(f"MOTCUA_REQUIRE_POSTGRES is set but {POSTGRES_URL} is not reachable")
    else:
        params.append(pytest.param("postgresql", marks=pytest.mark.skip(reason="PostgreSQL not reachable")))
    return params


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", _database_params(), indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_url(request, tmp_path_factory):
    """A migrated database with the demo organisation and the procedure library deployed."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'motcua.db'}"
    else:
        url = POSTGRES_URL
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = load_settings({"database": {"url": url}})
    rt = Runtime(settings=settings, sessions=make_sessionmaker(engine))
    with rt.sessions() as session:
        seed_demo(session, password=PASSWORD, hash_method="pbkdf2:sha256:1000")
        from engine.deploy import deploy_path

        deploy_path(rt, session, WORKFLOWS, actor=None, now=T0)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def rt(db_url, clock, tmp_path):
    """A runtime on a clean copy of the seeded database (dynamic rows deleted before each test)."""
    # Tests travel days ahead with logged-in clients: sessions do not end while idle (test_auth checks that);
    # they speak plain http to their servers: the cookie is not marked Secure (test_security checks the default).
    settings = load_settings({"database": {"url": db_url},
                              "server": {"session_idle_hours": 24 * 365, "secure_cookies": False},
                              "documents": {"path": str(tmp_path / "documents")}})  # the files of this test only
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in DYNAMIC_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    runtime = Runtime(settings=settings, sessions=make_sessionmaker(engine), clock=clock)
    deadlines.clear_history_cache()  # step-duration medians are cached per process
    yield runtime
    engine.dispose()


@pytest.fixture
def session(rt):
    with rt.sessions() as s:
        yield s


@pytest.fixture
def users(session):
    return {u.username: u for u in session.scalars(select(User))}


def pytest_sessionfinish(session, exitstatus):
    """Stop the script sandbox's helper processes this test process started."""
    from bpmn import sandbox
    sandbox.shutdown_all()


from documents_support import drt, pki  # noqa: E402, F401  (the documents' fixtures: a test PKI, a runtime using it)
