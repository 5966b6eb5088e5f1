"""The procedure catalog (read by every official; its version history by designers and admins)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.auth import protect, require_actor
from api.errors import problems
from api.schemas.dossiers import ProcedureDetailSchema, ProcedureSchema, ProcedureVersionSchema
from engine import catalog

blp = protect(Blueprint("procedures", __name__, url_prefix="/api/v1/procedures",
                        description="The procedure catalog: deadlines, fees, documents, forms"))


@blp.route("")
class Procedures(MethodView):
    @blp.response(200, ProcedureSchema(many=True))
    @problems(blp, 401)
    def get(self):
        """List the deployed procedures with their latest catalog entry."""
        return catalog.list_procedures(context.runtime(), context.session())


@blp.route("/<slug>")
class ProcedureItem(MethodView):
    @blp.response(200, ProcedureDetailSchema)
    @problems(blp, 401, 404)
    def get(self, slug):
        """Show a procedure's latest catalog entry and its forms."""
        return catalog.get_procedure(context.runtime(), context.session(), slug)


@blp.route("/<slug>/versions")
class ProcedureVersions(MethodView):
    @blp.response(200, ProcedureVersionSchema(many=True))
    @problems(blp, 401, 403, 404)
    def get(self, slug):
        """List every deployed version of a procedure (designers and admins)."""
        return catalog.list_versions(context.session(), slug, actor=require_actor())
