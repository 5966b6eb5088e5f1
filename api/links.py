"""Addresses the server prints or sends to citizens, built in one place."""
from __future__ import annotations

from urllib.parse import urlencode

#: the public look-up page (served by the web pages); the receipt's QR code opens it with code and secret
LOOKUP_PATH = "/lookup"


def public_lookup_url(code: str, secret: str, base_url: str | None = None) -> str:
    """`<server.public_base_url>/lookup?code=…&secret=…`: the citizen's look-up, already filled in.

    base_url defaults to the running app's setting (server.public_base_url).
    """
    if base_url is None:
        from api import context

        base_url = context.runtime().settings.public_base_url
    return f"{base_url.rstrip('/')}{LOOKUP_PATH}?{urlencode({'code': code, 'secret': secret})}"
