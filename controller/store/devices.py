"""Reading stored observations by (site, address) key, in the way both
engines can answer from the primary key.

A row-value ``(site_id, address) IN (VALUES ...)`` looks natural but
SQLite answers it with a scan of the whole table (it cannot drive the
primary key from a list of row values), and PostgreSQL plans its 400-way
OR slowly. One site per statement, ``site_id = ? AND address IN (...)``,
is a primary-key search on both; an ingest batch is one site's reports,
so this is usually one statement per batch. On PostgreSQL the addresses
go as one array (``address = ANY(...)``): one statement text whatever the
count, so it is compiled and planned once, where an ``IN`` of 200 bound
parameters was compiled by SQLAlchemy and planned by the server anew for
every size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from controller.store.dialect import is_sqlite
from controller.store.tables import observations

_ADDRESS_CHUNK = 500
"""Addresses per ``IN`` (well under SQLite's bound-parameter limit)."""


async def observations_at(
    connection: AsyncConnection,
    keys: Iterable[tuple[str, str]],
    *columns: ColumnElement[Any],
) -> AsyncIterator[Sequence[Any]]:
    """``site_id``, ``address`` and ``columns`` of each stored observation
    whose (site, address) is in ``keys``; keys with none are left out."""
    by_site: dict[str, list[str]] = {}
    for site_id, address in keys:
        by_site.setdefault(site_id, []).append(address)
    if not is_sqlite(connection):
        query = select(observations.c.site_id, observations.c.address, *columns).where(
            observations.c.site_id == bindparam("site_id"),
            observations.c.address
            == any_(bindparam("addresses", type_=ARRAY(observations.c.address.type))),
        )
        for site_id, addresses in by_site.items():
            result = await connection.execute(query, {"site_id": site_id, "addresses": addresses})
            for row in result:
                yield row
        return
    for site_id, addresses in by_site.items():
        for start in range(0, len(addresses), _ADDRESS_CHUNK):
            result = await connection.execute(
                select(observations.c.site_id, observations.c.address, *columns)
                .where(observations.c.site_id == site_id)
                .where(observations.c.address.in_(addresses[start : start + _ADDRESS_CHUNK]))
            )
            for row in result:
                yield row
