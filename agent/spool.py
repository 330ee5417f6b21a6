"""The agent's on-disk outbox: store and forward across outages and restarts.

A SQLite file implementing ``agent.publish.Outbox``. ``Publisher.publish``
writes every message here *before* handing it to paho, and deletes it when
the broker's PUBACK comes back; so a report survives a broker outage, a lost
uplink and the agent's own crash or restart. A new process opening the same
file gets the leftovers from ``pending`` oldest first, and the publisher
sends them before anything new, byte for byte as first written: the same
``report_id``s, so the controller counts a report already stored as a
duplicate and changes nothing.

Durability: WAL with ``synchronous=NORMAL``, each ``put`` its own committed
transaction. That survives the agent process dying at any instant (SIGKILL
included); a power cut may lose the last few hundred milliseconds of puts,
which the next audit cycle repeats anyway.

Bounds: a spool is not an archive. Past ``max_bytes`` the oldest messages
are dropped to make room, and any message older than ``max_age_s`` is
dropped; each drop is counted (``dropped``) and logged as a warning naming
how many and why, never silent.

Single-threaded: every method is called from the agent's event loop.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from agent.publish import OutboxEntry
from schemas.errors import ConfigError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    retain INTEGER NOT NULL,
    created REAL NOT NULL
)
"""


class Spool:
    """``Spool(path, max_bytes=..., max_age_s=...)``; ``close()`` when done."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        max_age_s: float = 7 * 86400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.dropped = 0
        """Messages dropped to respect the bounds since this spool was opened."""
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            count, size = self._db.execute(
                "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox"
            ).fetchone()
        except sqlite3.Error as exc:
            raise ConfigError(f"spool {self.path}: cannot open: {exc}") from None
        self._count: int = count
        self._bytes: int = size
        if count:
            log.info("spool %s: %d message(s) (%d bytes) left from before", self.path, count, size)

    def put(self, topic: str, payload: bytes, retain: bool) -> OutboxEntry:
        now = self._clock()
        self._expire(now)
        self._make_room(len(payload))
        cursor = self._db.execute(
            "INSERT INTO outbox (topic, payload, retain, created) VALUES (?, ?, ?, ?)",
            (topic, payload, int(retain), now),
        )
        assert cursor.lastrowid is not None
        self._count += 1
        self._bytes += len(payload)
        return OutboxEntry(cursor.lastrowid, topic, payload, retain)

    def done(self, key: int) -> None:
        row = self._db.execute(
            "DELETE FROM outbox WHERE key = ? RETURNING length(payload)", (key,)
        ).fetchone()
        if row is not None:  # else dropped for the bounds while in flight
            self._count -= 1
            self._bytes -= row[0]

    def pending(self) -> Iterator[OutboxEntry]:
        rows = self._db.execute(
            "SELECT key, topic, payload, retain FROM outbox ORDER BY key"
        ).fetchall()
        return iter(
            [OutboxEntry(key, topic, bytes(data), bool(flag)) for key, topic, data, flag in rows]
        )

    def __len__(self) -> int:
        return self._count

    @property
    def size_bytes(self) -> int:
        """Payload bytes held."""
        return self._bytes

    def close(self) -> None:
        self._db.close()

    # -- bounds -------------------------------------------------------------

    def _expire(self, now: float) -> None:
        cutoff = now - self.max_age_s
        row = self._db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox WHERE created < ?",
            (cutoff,),
        ).fetchone()
        if row[0]:
            self._db.execute("DELETE FROM outbox WHERE created < ?", (cutoff,))
            self._dropped(row[0], row[1], f"older than {self.max_age_s:g} s")

    def _make_room(self, incoming: int) -> None:
        if self._bytes + incoming <= self.max_bytes:
            return
        need = self._bytes + incoming - self.max_bytes
        freed, keys = 0, []
        for key, size in self._db.execute("SELECT key, length(payload) FROM outbox ORDER BY key"):
            if freed >= need:
                break
            keys.append(key)
            freed += size
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM outbox WHERE key = ?", [(k,) for k in keys])
        self._db.execute("COMMIT")
        self._dropped(len(keys), freed, f"full ({self.max_bytes} bytes)")

    def _dropped(self, count: int, size: int, why: str) -> None:
        self._count -= count
        self._bytes -= size
        self.dropped += count
        log.warning(
            "spool %s %s: dropped the %d oldest unsent message(s) (%d bytes); %d dropped so far",
            self.path, why, count, size, self.dropped,
        )
