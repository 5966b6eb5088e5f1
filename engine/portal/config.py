"""The [portal] settings, read from the settings' raw table (config/default.toml documents them)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortalConfig:
    #: the portal adapter's base address (adapter_url); empty: no portal, nothing is queued
    url: str = ""
    auth_endpoint: str = "/auth"
    integration_endpoint: str = "/integration"
    username: str = ""
    password: str = ""
    #: this province's unit code on the portal (madonvi) and the routing header (dstcode)
    unit_code: str = ""
    dstcode: str = ""
    timeout: float = 10.0
    #: the motcua account that receives portal dossiers: it needs the reception role in their agency
    account: str = "portal"
    #: messages per request (the services take a `data` array)
    batch: int = 100
    #: the scheduler pulls new dossiers every so many seconds (job portal_pull), at most pull_batches a run
    pull_interval: int = 60
    pull_batches: int = 20

    @classmethod
    def from_settings(cls, settings) -> PortalConfig:
        raw = dict(settings.raw.get("portal", {}) or {})
        return cls(url=str(raw.get("url", "")).rstrip("/"), auth_endpoint=str(raw.get("auth_endpoint", "/auth")),
                   integration_endpoint=str(raw.get("integration_endpoint", "/integration")),
                   username=str(raw.get("username", "")), password=str(raw.get("password", "")),
                   unit_code=str(raw.get("unit_code", "")), dstcode=str(raw.get("dstcode", "")),
                   timeout=float(raw.get("timeout_seconds", 10)), account=str(raw.get("account", "portal")),
                   batch=max(1, int(raw.get("batch", 100))),
                   pull_interval=max(1, int(raw.get("pull_interval_seconds", 60))),
                   pull_batches=max(1, int(raw.get("pull_batches", 20))))
