"""The citizen's look-up by dossier code and receipt secret, and the service rating. No login.

Rate-limited per client IP with a token bucket held in this process's memory: behind several app
processes (gunicorn workers, several machines) each process keeps its own buckets, so a client gets up to
N times the limit. That is enough against guessing secrets (8 characters from 32: 2^40 tries); a shared
limit would belong in the reverse proxy. Behind a proxy, set server.trusted_proxies (werkzeug's ProxyFix,
api/security.py), or every citizen shares the proxy's address.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import context
from api.errors import PROBLEM_JSON, ProblemSchema, problem
from api.public_limit import take
from api.schemas.dossiers import PublicLookupArgs, PublicStatusSchema, RatingInSchema, RatingSchema
from engine import public

blp = Blueprint("public", __name__, url_prefix="/api/v1/public",
                description="Public look-up of a dossier's progress and the citizen's rating (no login)")


@blp.before_request
def _rate_limit():
    wait = take()
    if wait:
        response = problem(429, "Too Many Requests", "too many look-ups from your address; wait and try again",
                           "rate_limited")
        response.headers["Retry-After"] = str(wait)
        return response
    return None


@blp.route("/dossiers/<code>")
class PublicDossier(MethodView):
    @blp.arguments(PublicLookupArgs, location="query")
    @blp.response(200, PublicStatusSchema)
    @blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="unknown code or wrong secret (the answer does not say which)")
    @blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, description="no secret given")
    @blp.alt_response(429, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="too many requests from this address; see Retry-After")
    def get(self, args, code):
        """Look up a dossier's status and dates with the code and secret printed on the receipt."""
        return public.lookup(context.session(), code, args["secret"])


@blp.route("/dossiers/<code>/rating")
class PublicRating(MethodView):
    @blp.arguments(RatingInSchema)
    @blp.response(201, RatingSchema)
    @blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON, description="as for the look-up")
    @blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description="not yet returned, or already rated")
    @blp.alt_response(400, schema=ProblemSchema, content_type=PROBLEM_JSON, description="the body is not JSON")
    @blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, description="invalid fields")
    @blp.alt_response(429, schema=ProblemSchema, content_type=PROBLEM_JSON, description="as for the look-up")
    def post(self, payload, code):
        """Rate the service once, after the result was returned (score 1-5, optional criteria and comment)."""
        rating = public.rate(context.session(), code, payload["secret"], score=payload["score"],
                             criteria=payload.get("criteria"), comment=payload.get("comment"), now=context.now())
        context.commit()
        return rating
