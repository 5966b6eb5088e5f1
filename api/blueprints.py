"""The URL map: one blueprint per resource, registered here in one place."""
from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from api import auth, calendar, dossiers, escalations, procedures, public, supervision, tasks

    for module in (auth, procedures, dossiers, public, tasks, calendar, escalations, supervision):
        api.register_blueprint(module.blp)
