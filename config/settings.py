"""Layered, validated, read-only settings.

Order (later wins): config/default.toml -> the TOML file named by MOTCUA_CONFIG -> MOTCUA_<SECTION>_<KEY>
environment variables -> explicit overrides (tests). Nothing is read at import time.
"""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULTS_FILE = Path(__file__).with_name("default.toml")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _merge(base: dict, extra: Mapping) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_value(text: str) -> Any:
    """Read an environment value as a TOML literal when it is one (numbers, booleans, arrays), else text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _from_environment(defaults: Mapping, environ: Mapping[str, str]) -> dict:
    out: dict = {}
    for section, keys in defaults.items():
        if not isinstance(keys, Mapping):
            continue
        for key in keys:
            name = f"MOTCUA_{section}_{key}".upper()
            if name in environ:
                out.setdefault(section, {})[key] = _env_value(environ[name])
    return out


def _time(text: str, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: {text!r} is not a clock time like 07:30") from None


def _periods(values: Any, name: str) -> tuple[tuple[dt.time, dt.time], ...]:
    if not isinstance(values, list) or not values:
        raise SettingsError(f"{name}: expected a list like [\"07:30-11:30\", \"13:00-17:00\"]")
    periods = []
    for item in values:
        start, sep, end = str(item).partition("-")
        if not sep:
            raise SettingsError(f"{name}: {item!r} is not a period like 07:30-11:30")
        a, b = _time(start.strip(), name), _time(end.strip(), name)
        if not a < b or (periods and not periods[-1][1] <= a):
            raise SettingsError(f"{name}: periods must be increasing and not overlap ({item!r})")
        periods.append((a, b))
    return tuple(periods)


def _days(values: Any, name: str) -> Mapping[dt.date, str]:
    if not isinstance(values, Mapping):
        raise SettingsError(f"{name}: expected a table of \"YYYY-MM-DD\" = \"name\"")
    out = {}
    for key, label in values.items():
        try:
            day = key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key))
        except ValueError:
            raise SettingsError(f"{name}: {key!r} is not a date YYYY-MM-DD") from None
        out[day] = str(label)
    return MappingProxyType(out)


@dataclass(frozen=True)
class Settings:
    """The settings the code reads; build it with load_settings()."""

    database_url: str
    database_echo: bool
    timezone: str
    working_hours: tuple[tuple[dt.time, dt.time], ...]
    same_day_cutoff: dt.time
    cultural_day_off: bool
    days_off: Mapping[dt.date, str]
    working_days: Mapping[dt.date, str]
    risk_threshold: float
    server_host: str
    server_port: int
    secret_key: str
    secret_key_file: str
    session_idle_hours: float
    mail_enabled: bool
    smtp_host: str
    smtp_port: int
    mail_sender: str
    webhook_url: str
    roles: tuple[str, ...]
    agency_kinds: tuple[str, ...]
    raw: Mapping[str, Any]
    history_min_samples: int = 20
    history_max_samples: int = 200
    expected_budget_share: float = 1.0
    #: procedure slug -> the longest extension its law allows (ISO 8601 working time)
    extensions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    mail_timeout: float = 10.0
    webhook_timeout: float = 5.0
    scheduler_in_process: bool = True
    scan_interval: int = 60
    outbox_interval: int = 30
    timers_interval: int = 60
    digest_time: dt.time = dt.time(7, 30)
    lease_seconds: int = 300
    retry_base_seconds: int = 60
    retry_max_seconds: int = 21600
    max_attempts: int = 10
    script_cpu_seconds: float = 1.0
    script_memory_mb: int = 512
    script_wall_seconds: float = 2.0
    script_workers: int = 4
    max_loop: int = 1000
    max_engine_steps: int = 200
    secure_cookies: bool = True
    trusted_proxies: int = 0
    token_lifetime_days: int = 90
    token_max_lifetime_days: int = 365
    login_failures_per_account: int = 10
    login_failures_per_address: int = 100
    login_failure_period: float = 600.0
    max_request_bytes: int = 1_048_576
    reception_data_values: int = 10_000
    reception_data_chars: int = 100_000
    #: the address citizens use to reach the server (the receipt's QR code opens its public look-up)
    public_base_url: str = "http://127.0.0.1:8000"
    #: a TOML file of the printed forms replacing config/forms.toml; empty: that file
    forms_file: str = ""
    #: the SMS gateway (HTTP POST) telling applicants about their dossier; empty: no SMS
    sms_url: str = ""
    #: the request body, with {phone} and {text} filled in (escaped for sms_content_type)
    sms_body: str = '{"to": "{phone}", "text": "{text}"}'
    sms_content_type: str = "application/json"
    sms_timeout: float = 5.0


def _positive_hours(value, name: str) -> float:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{name}: expected a number of hours, got {value!r}") from None
    if hours <= 0:
        raise SettingsError(f"{name}: must be positive")
    return hours


def load_settings(overrides: Mapping | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from the layers; raise SettingsError naming the first bad key."""
    environ = os.environ if environ is None else environ
    with DEFAULTS_FILE.open("rb") as fh:
        defaults = tomllib.load(fh)
    data = defaults
    if environ.get("MOTCUA_CONFIG"):
        path = Path(environ["MOTCUA_CONFIG"])
        try:
            with path.open("rb") as fh:
                data = _merge(data, tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"MOTCUA_CONFIG={path}: {exc}") from None
    data = _merge(data, _from_environment(defaults, environ))
    data = _merge(data, overrides or {})

    db, cal, dl, srv, mail = (data[k] for k in ("database", "calendar", "deadlines", "server", "mail"))
    threshold = float(dl["risk_threshold"])
    if not 0 < threshold <= 1:
        raise SettingsError("deadlines.risk_threshold: must be in (0, 1]")
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(cal["timezone"])
    except Exception:
        raise SettingsError(f"calendar.timezone: unknown time zone {cal['timezone']!r}") from None
    return Settings(
        database_url=str(db["url"]),
        database_echo=bool(db.get("echo", False)),
        timezone=cal["timezone"],
        working_hours=_periods(cal["working_hours"], "calendar.working_hours"),
        same_day_cutoff=_time(cal["same_day_cutoff"], "calendar.same_day_cutoff"),
        cultural_day_off=bool(cal["cultural_day_off"]),
        days_off=_days(cal.get("days_off", {}), "calendar.days_off"),
        working_days=_days(cal.get("working_days", {}), "calendar.working_days"),
        risk_threshold=threshold,
        server_host=str(srv["host"]),
        server_port=int(srv["port"]),
        secret_key=str(srv["secret_key"]),
        secret_key_file=str(srv.get("secret_key_file", "var/secret_key")),
        session_idle_hours=_positive_hours(srv.get("session_idle_hours", 12), "server.session_idle_hours"),
        mail_enabled=bool(mail["enabled"]),
        smtp_host=str(mail["smtp_host"]),
        smtp_port=int(mail["smtp_port"]),
        mail_sender=str(mail["sender"]),
        webhook_url=str(data.get("webhook", {}).get("url", "")),
        roles=tuple(data["organization"]["roles"]),
        agency_kinds=tuple(data["organization"]["agency_kinds"]),
        raw=MappingProxyType(data),
        **_deadline_settings(dl, mail, data.get("webhook", {}), data.get("scheduler", {})),
        **_script_settings(data.get("scripts", {})),
        **_security_settings(srv, data.get("limits", {})),
        public_base_url=_base_url(srv.get("public_base_url", "http://127.0.0.1:8000")),
        forms_file=str(data.get("printing", {}).get("forms_file", "")),
        **_sms_settings(data.get("sms", {})),
    )


def _sms_settings(sms: Mapping) -> dict[str, Any]:
    """Read [sms]: the gateway's address, body template and content type; raise SettingsError on a bad one."""
    url = str(sms.get("url", "") or "")
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"sms.url: {url!r} is not an http(s) address")
    body = str(sms.get("body", Settings.sms_body))
    if url and "{text}" not in body:
        raise SettingsError("sms.body: the template must contain {text}")
    try:
        timeout = float(sms.get("timeout_seconds", 5))
    except (TypeError, ValueError):
        raise SettingsError(f"sms.timeout_seconds: expected a number, got {sms.get('timeout_seconds')!r}") from None
    if timeout <= 0:
        raise SettingsError("sms.timeout_seconds: must be positive")
    return dict(sms_url=url, sms_body=body, sms_content_type=str(sms.get("content_type", "application/json")),
                sms_timeout=timeout)


def _script_settings(sc: Mapping) -> dict[str, Any]:
    """Read [scripts]: the sandbox's bounds and the loop and step ceilings; raise SettingsError on a bad one."""
    def positive(key: str, default: float, kind=int):
        try:
            value = kind(sc.get(key, default))
        except (TypeError, ValueError):
            raise SettingsError(f"scripts.{key}: expected a number, got {sc.get(key)!r}") from None
        if value <= 0:
            raise SettingsError(f"scripts.{key}: must be positive")
        return value

    steps = positive("max_engine_steps", 200)
    if steps > 500:  # SpiffWorkflow's task iterator stops 1,000 levels deep: a longer cycle would end silently
        raise SettingsError("scripts.max_engine_steps: at most 500")
    memory = positive("memory_mb", 512)
    if memory < 128:
        raise SettingsError("scripts.memory_mb: at least 128 (the helper's interpreter needs about 60 MB)")
    return dict(
        script_cpu_seconds=positive("cpu_seconds", 1.0, float), script_memory_mb=memory,
        script_wall_seconds=positive("wall_seconds", 2.0, float), script_workers=positive("workers", 4),
        max_loop=positive("max_loop", 1000), max_engine_steps=steps,
    )


def _security_settings(srv: Mapping, limits: Mapping) -> dict[str, Any]:
    """Read the keys of cookies, proxies, tokens, login throttling and request limits."""
    def number(section: Mapping, key: str, name: str, default, kind=int, minimum=1):
        try:
            value = kind(section.get(key, default))
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected a number, got {section.get(key)!r}") from None
        if isinstance(section.get(key, default), bool) or value < minimum:
            raise SettingsError(f"{name}: must be at least {minimum}")
        return value

    secure = srv.get("secure_cookies", True)
    if not isinstance(secure, bool):
        raise SettingsError(f"server.secure_cookies: expected true or false, got {secure!r}")
    lifetime = number(srv, "token_lifetime_days", "server.token_lifetime_days", 90)
    longest = number(srv, "token_max_lifetime_days", "server.token_max_lifetime_days", 365)
    if lifetime > longest:
        raise SettingsError("server.token_lifetime_days: longer than server.token_max_lifetime_days")
    return dict(
        secure_cookies=secure,
        trusted_proxies=number(srv, "trusted_proxies", "server.trusted_proxies", 0, minimum=0),
        token_lifetime_days=lifetime,
        token_max_lifetime_days=longest,
        login_failures_per_account=number(srv, "login_failures_per_account", "server.login_failures_per_account", 10),
        login_failures_per_address=number(srv, "login_failures_per_address", "server.login_failures_per_address", 100),
        login_failure_period=number(srv, "login_failure_period_seconds", "server.login_failure_period_seconds",
                                    600.0, float),
        max_request_bytes=number(limits, "max_request_bytes", "limits.max_request_bytes", 1_048_576, minimum=1024),
        reception_data_values=number(limits, "reception_data_values", "limits.reception_data_values", 10_000),
        reception_data_chars=number(limits, "reception_data_chars", "limits.reception_data_chars", 100_000),
    )


def _base_url(value) -> str:
    text = str(value).strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or " " in text:
        raise SettingsError(f"server.public_base_url: {value!r} is not an http(s) address")
    return text


def _deadline_settings(dl: Mapping, mail: Mapping, hook: Mapping, sched: Mapping) -> dict[str, Any]:
    """Read the keys of the deadline scan, the outbox and the scheduler; raise SettingsError on a bad one."""
    def positive(section: Mapping, key: str, name: str, default: float, kind=int):
        try:
            value = kind(section.get(key, default))
        except (TypeError, ValueError):
            raise SettingsError(f"{name}: expected a number, got {section.get(key)!r}") from None
        if value <= 0:
            raise SettingsError(f"{name}: must be positive")
        return value

    share = positive(dl, "expected_budget_share", "deadlines.expected_budget_share", 1.0, float)
    extensions = dl.get("extensions", {})
    if not isinstance(extensions, Mapping):
        raise SettingsError("deadlines.extensions: expected a table of slug = \"P2D\"")
    return dict(
        history_min_samples=positive(dl, "history_min_samples", "deadlines.history_min_samples", 20),
        history_max_samples=positive(dl, "history_max_samples", "deadlines.history_max_samples", 200),
        expected_budget_share=share,
        extensions=MappingProxyType({str(k): str(v) for k, v in extensions.items()}),
        mail_timeout=positive(mail, "timeout_seconds", "mail.timeout_seconds", 10.0, float),
        webhook_timeout=positive(hook, "timeout_seconds", "webhook.timeout_seconds", 5.0, float),
        scheduler_in_process=bool(sched.get("in_process", True)),
        scan_interval=positive(sched, "scan_interval_seconds", "scheduler.scan_interval_seconds", 60),
        outbox_interval=positive(sched, "outbox_interval_seconds", "scheduler.outbox_interval_seconds", 30),
        timers_interval=positive(sched, "timers_interval_seconds", "scheduler.timers_interval_seconds", 60),
        digest_time=_time(str(sched.get("digest_time", "07:30")), "scheduler.digest_time"),
        lease_seconds=positive(sched, "lease_seconds", "scheduler.lease_seconds", 300),
        retry_base_seconds=positive(sched, "retry_base_seconds", "scheduler.retry_base_seconds", 60),
        retry_max_seconds=positive(sched, "retry_max_seconds", "scheduler.retry_max_seconds", 21600),
        max_attempts=positive(sched, "max_attempts", "scheduler.max_attempts", 10),
    )
