"""Addresses the server prints or sends to citizens, built in one place (engine.applicant_notices.lookup_url,
which the messages to applicants use too)."""
from __future__ import annotations

from engine.applicant_notices import LOOKUP_PATH, lookup_url

__all__ = ["LOOKUP_PATH", "public_lookup_url"]


def public_lookup_url(code: str, secret: str, base_url: str | None = None) -> str:
    """`<server.public_base_url>/lookup?code=…&secret=…`: the citizen's look-up, already filled in.

    base_url defaults to the running app's setting (server.public_base_url).
    """
    if base_url is None:
        from api import context

        base_url = context.runtime().settings.public_base_url
    return lookup_url(base_url, code, secret)
