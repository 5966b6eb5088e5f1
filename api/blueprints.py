"""The URL map: one blueprint per resource, registered here in one place."""
from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from api import auth, calendar, dossiers, escalations, procedures, public, studio, supervision, tasks
    from api.query import refuse_unknown_query

    for module in (auth, procedures, dossiers, public, tasks, calendar, escalations, supervision, studio):
        if refuse_unknown_query not in module.blp.before_request_funcs.get(None, ()):  # once per process
            module.blp.before_request(refuse_unknown_query)  # after the blueprint's own login check
        api.register_blueprint(module.blp)
