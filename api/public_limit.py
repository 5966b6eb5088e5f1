"""The rate limit shared by every public (no login) look-up: the API's and the citizen's page.

One token bucket per client address (engine.ratelimit.TokenBucket), held per app in app.extensions, so the
page is no easier a way to guess secrets than the API: both spend from the same bucket.
Override with app.config["PUBLIC_RATE_LIMIT"] = (n, seconds).
"""
from __future__ import annotations

import math

from flask import current_app, request

from engine.ratelimit import TokenBucket

#: requests per period per client address
DEFAULT_RATE_LIMIT = (30, 60.0)
_LIMITER_KEY = "motcua.public_limiter"


def limiter() -> TokenBucket:
    """This app's bucket of public look-ups (made on first use from PUBLIC_RATE_LIMIT)."""
    bucket = current_app.extensions.get(_LIMITER_KEY)
    if bucket is None:
        capacity, period = current_app.config.get("PUBLIC_RATE_LIMIT", DEFAULT_RATE_LIMIT)
        bucket = current_app.extensions.setdefault(_LIMITER_KEY, TokenBucket(int(capacity), float(period)))
    return bucket


def take() -> int:
    """Spend one look-up of this request's client address: 0 if allowed, else whole seconds to wait."""
    wait = limiter().take(request.remote_addr or "unknown")
    return max(1, math.ceil(wait)) if wait else 0
