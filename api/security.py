"""Cross-cutting HTTP protections: the Origin check of cookie-authenticated writes, security headers, the
session cookie's flags and the trusted reverse proxies.

- A browser sends the session cookie with any request to this host, whoever's page made it (a form
  posting to /api/v1/tasks/7/claim from another site). Every unsafe request (POST, PUT, PATCH, DELETE)
  that carries the session cookie and no Bearer token must therefore come from a page of this host: its
  `Origin` header (or, when a client sent none, its `Referer`) must name the request's own host, or the
  answer is 403. A client sending neither (curl, scripts) is not a browser page and passes. Bearer tokens
  are never sent by a browser on its own, so requests authenticated by one are not checked.
- Every answer carries a Content-Security-Policy that allows only this host's scripts and styles (the API
  documentation's initialiser is a static file for that reason), `nosniff`, `same-origin` referrers and
  no framing by other sites.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from api.errors import problem

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _host(url: str) -> str | None:
    """host[:port] of an origin or URL, the scheme's default port left out; None when there is none."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in _DEFAULT_PORTS:
        return None
    return host if port is None or str(port) == _DEFAULT_PORTS[parts.scheme] else f"{host}:{port}"


def _request_host() -> str:
    scheme = request.scheme if request.scheme in _DEFAULT_PORTS else "http"
    return _host(f"{scheme}://{request.host}") or request.host.lower()


def bearer_token(header: str) -> str | None:
    """The credentials of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 7235)."""
    scheme, _, credentials = header.strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _check_origin(cookie_name: str):
    if request.method not in UNSAFE_METHODS or cookie_name not in request.cookies:
        return None
    if bearer_token(request.headers.get("Authorization", "")) is not None:
        return None
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return None
    if _host(claimed) != _request_host():
        return problem(403, "Forbidden", "a request authenticated by the session cookie must come from a page of "
                       "this site (its Origin or Referer names another)", "cross_origin")
    return None


def _add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask, *, secure_cookies: bool, trusted_proxies: int) -> None:
    app.config["SESSION_COOKIE_SECURE"] = secure_cookies
    if trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies,
                                x_host=trusted_proxies, x_port=trusted_proxies)
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    app.before_request(lambda: _check_origin(cookie_name))
    app.after_request(_add_headers)
