"""Workflows kept alive between actions: a dossier's next action skips deserializing its state.

An entry is taken out while an action uses it and put back only after that action's transaction
commits, with the dossier version the commit wrote; a rollback drops it. So a cached workflow is always
exactly the committed state of that version, and a stale or half-advanced one is never reused.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

_PENDING = "motcua.live.pending"


class LiveWorkflows:
    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self._items: OrderedDict[int, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, dossier_id: int, version: int):
        """The live workflow of this dossier version, removed from the cache; None on a miss."""
        with self._lock:
            item = self._items.pop(dossier_id, None)
        return item[1] if item is not None and item[0] == version else None

    def hold(self, session: Session, dossier, workflow) -> None:
        """Keep `workflow` for `dossier` once the session commits."""
        if self.maxsize:
            session.info.setdefault(_PENDING, {})[dossier.id if dossier.id else id(dossier)] = (dossier, workflow)

    def _put(self, dossier_id: int, version: int, workflow) -> None:
        with self._lock:
            self._items[dossier_id] = (version, workflow)
            self._items.move_to_end(dossier_id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def attach(self, sessions: sessionmaker) -> None:
        """Listen to the sessions' commits and rollbacks."""

        @event.listens_for(sessions, "after_commit")
        def _committed(session):
            for dossier, workflow in session.info.pop(_PENDING, {}).values():
                self._put(dossier.id, dossier.version, workflow)

        @event.listens_for(sessions, "after_rollback")
        def _rolled_back(session):
            session.info.pop(_PENDING, None)
