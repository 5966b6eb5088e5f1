"""Who is calling: a Bearer token or the login session. The only code that reads the request's identity."""
from __future__ import annotations

import datetime as dt

from flask import g, request
from flask import session as cookie
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from api import context
from api.errors import problems
from api.security import bearer_token
from engine import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in, log out, personal API tokens")


def current_actor() -> accounts.Principal | None:
    """The authenticated user of this request, or None."""
    if "actor" not in g:
        user = None
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is not None:
            user = accounts.user_for_token(context.session(), token, context.now())
            if user is None:
                abort(401, message="the Bearer token is invalid or revoked")
        elif "token" in cookie:
            idle = dt.timedelta(hours=context.runtime().settings.session_idle_hours)
            user = accounts.user_for_token(context.session(), cookie["token"], context.now(), kind="session",
                                           idle=idle)
        if context.session().info.pop(accounts.TOKEN_TOUCHED, False):  # keep it even when the request only reads
            context.commit()
        g.actor = user
        if user is not None and user.must_change_password and request.blueprint != "web" \
                and request.endpoint not in WHILE_PASSWORD_RESET:  # the pages send the official to /doi-mat-khau
            abort(403, message="an administrator set a temporary password: change it first (POST /api/v1/auth/password)")
    return g.actor


#: what an official with a temporary password may still call (engine.admin.officials)
WHILE_PASSWORD_RESET = frozenset({"auth.Me", "auth.Logout", "auth.Login", "auth.Password"})


def require_actor() -> accounts.Principal:
    user = current_actor()
    if user is None:
        abort(401, message="log in or send a Bearer token")
    return user


def protect(blueprint: Blueprint) -> Blueprint:
    """Require an authenticated caller for every view of the blueprint."""
    blueprint.before_request(lambda: require_actor() and None)
    return blueprint


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class MembershipSchema(Schema):
    agency_id = fields.Integer()
    role = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    is_admin = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSchema))


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    expires_in_days = fields.Integer(validate=validate.Range(min=1, max=100_000), metadata={
        "description": "default server.token_lifetime_days (90); at most server.token_max_lifetime_days (365)"})


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "shown once; store it now"})


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, MeSchema)
    @problems(blp, 400, 401, 422, 429)
    def post(self, payload):
        """Log in with a username and password (opens a session cookie)."""
        user = accounts.log_in(context.session(), context.runtime().login_throttle, payload["username"],
                               payload["password"], request.remote_addr or "unknown", context.now())
        if user is None:
            abort(401, message="wrong username or password")
        cookie.clear()
        cookie["token"] = accounts.open_session(context.session(), user, context.now())
        context.commit()
        return user


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Close the login session (it is ended on the server too: a copied cookie no longer works)."""
        if "token" in cookie:
            accounts.close_session(context.session(), cookie["token"], context.now())
            context.commit()
        cookie.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @problems(blp, 401)
    def get(self):
        """The caller and their roles per agency."""
        return require_actor()


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenSchema(many=True))
    @problems(blp, 401)
    def get(self):
        """List the caller's API tokens."""
        return accounts.list_tokens(context.session(), require_actor())

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    @problems(blp, 400, 401, 403, 422)
    def post(self, payload):
        """Create a personal API token (shown only in this answer); a token cannot create tokens: log in."""
        settings = context.runtime().settings
        row, token = accounts.create_token(
            context.session(), require_actor(), payload["name"], context.now(),
            lifetime=dt.timedelta(days=payload.get("expires_in_days", settings.token_lifetime_days)),
            max_lifetime=dt.timedelta(days=settings.token_max_lifetime_days))
        context.commit()
        return {**{name: getattr(row, name) for name in TokenSchema().fields}, "token": token}


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @blp.response(200, TokenSchema)
    @problems(blp, 401, 403, 404)
    def delete(self, token_id):
        """Revoke a token."""
        row = accounts.revoke_token(context.session(), require_actor(), token_id, context.now())
        context.commit()
        return row


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


@blp.route("/password")
class Password(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @problems(blp, 400, 401, 422)
    def post(self, payload):
        """Change one's own password (the current one first); the other login sessions end."""
        accounts.change_password(context.session(), require_actor(), payload["current_password"],
                                 payload["new_password"], context.now(), keep_session=cookie.get("token"))
        context.commit()
