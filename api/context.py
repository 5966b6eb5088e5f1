"""Per-request access to the runtime, the database session, the caller and the time.

The only module besides api/auth.py that reads Flask's request globals for the engine's collaborators.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from engine.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["motcua"]


def session() -> Session:
    """The request's session (opened on first use, rolled back at teardown unless committed)."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    return g.db_session


def commit() -> None:
    session().commit()


def now() -> dt.datetime:
    return runtime().clock.now()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc):
        s = g.pop("db_session", None)
        if s is not None:
            s.rollback()
            s.close()
