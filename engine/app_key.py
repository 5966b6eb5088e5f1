"""The app's secret key: it signs the workspace's login cookies (api) and the links to one electronic result
that the portal is given (engine.documents.results.result_token). Every process of one installation reads
the same key: the configured one, else one made once and kept in a file.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from config import Settings, SettingsError

#: keys once shipped as defaults: anyone could sign a session cookie with them
PUBLISHED_KEYS = {"change-me-in-production", "dev", "secret"}


def session_key(settings: Settings) -> str:
    """The key that signs session cookies: the configured one, else one made once and kept in a file."""
    if settings.secret_key:
        if settings.secret_key in PUBLISHED_KEYS or len(settings.secret_key) < 16:
            raise SettingsError("server.secret_key: a published or short key lets anyone forge a login; "
                                "use at least 16 random characters")
        return settings.secret_key
    path = Path(settings.secret_key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:  # a link is atomic and never replaces: of processes starting together, the first key wins
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < 16:
        raise SettingsError(f"server.secret_key_file: {path} holds no usable key (delete it to make a new one)")
    return key
