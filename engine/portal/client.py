"""The portal's HTTP envelope, as OpenCPS v2 speaks it (DVCQGIntegrationActionImpl).

Log in: POST <url><auth_endpoint> {"username", "password"} -> {"error_code": 0, "session": "..."}.
Every call: POST <url><integration_endpoint>, header `dstcode`, body {"session", "madonvi", "service", ...}
-> {"error_code": 0, ...}. A non-2xx answer, a timeout or an error_code other than 0 is a PortalError.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from engine.portal.config import PortalConfig


class PortalError(Exception):
    """The portal did not take the call (network, HTTP status, or its own error_code)."""


class PortalClient:
    def __init__(self, config: PortalConfig):
        self.config = config
        self._session: str | None = None

    def _post(self, path: str, body: dict) -> dict:
        data = json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.config.url + path, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "dstcode": self.config.dstcode})
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310 - config
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise PortalError(f"HTTP {exc.code} from {path}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PortalError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise PortalError(f"{path} answered something that is not JSON") from None
        if not isinstance(answer, dict):
            raise PortalError(f"{path} answered a JSON {type(answer).__name__}, not an object")
        if str(answer.get("error_code", "")) != "0":
            raise PortalError(f"error_code {answer.get('error_code')!r}: {answer.get('message', '')}")
        return answer

    def session(self) -> str:
        if self._session is None:
            answer = self._post(self.config.auth_endpoint, {"username": self.config.username,
                                                            "password": self.config.password})
            if not answer.get("session"):
                raise PortalError("the login answer has no session")
            self._session = str(answer["session"])
        return self._session

    def call(self, service: str, **fields) -> dict:
        """Call one service; log in again once when the portal refuses the session."""
        for attempt in (1, 2):
            body = {"session": self.session(), "madonvi": self.config.unit_code, "service": service, **fields}
            try:
                return self._post(self.config.integration_endpoint, body)
            except PortalError as exc:
                if attempt == 1 and "session" in str(exc).lower():
                    self._session = None
                    continue
                raise
        raise AssertionError("unreachable")
