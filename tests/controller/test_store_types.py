"""``store.types.sqlite_time`` writes exactly the text SQLAlchemy's
``UtcDateTime`` stores on SQLite: stored times compare as text, so rows
written by ``store.report_rows`` and by Core must sort together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from controller.store.report_rows import aware_time
from controller.store.types import UtcDateTime, naive_time, sqlite_time
from schemas.messages import CameraObservation

_DIALECT = sqlite.dialect()
_CORE = UtcDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)


def _parsed(text: str) -> datetime:
    """A datetime as pydantic gives it from a report (its own tzinfo type)."""
    payload = f'{{"address": "a", "reachable": true, "observed_at": "{text}"}}'
    return CameraObservation.model_validate_json(payload).observed_at


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), id="utc-whole-second"),
        pytest.param(datetime(2026, 11, 24, 9, 0, 0, 5, tzinfo=UTC), id="utc-microseconds"),
        pytest.param(
            datetime(2026, 11, 24, 1, 30, tzinfo=timezone(timedelta(hours=2))), id="plus-two"
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
            id="minus-five-next-year",
        ),
        pytest.param(datetime(5, 1, 2, tzinfo=UTC), id="year-5"),
        pytest.param(_parsed("2026-11-24T09:00:00.123Z"), id="pydantic-z"),
        pytest.param(_parsed("2026-11-24T11:00:00+02:00"), id="pydantic-offset"),
    ],
)
def test_sqlite_time_is_the_text_core_stores(value: datetime) -> None:
    assert _CORE is not None
    assert sqlite_time(value) == _CORE(value)




@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(sqlite_time, id="report-rows-sqlite"),
        pytest.param(aware_time, id="report-rows-postgresql"),
        pytest.param(lambda v: UtcDateTime().process_bind_param(v, _DIALECT), id="core-sqlite"),
        pytest.param(
            lambda v: UtcDateTime().process_bind_param(v, postgresql.dialect()),
            id="core-postgresql",
        ),
    ],
)
def test_every_path_to_the_store_refuses_a_naive_datetime_alike(
    convert: Callable[[datetime], object],
) -> None:
    naive = datetime(2026, 11, 24, 9, 0)
    with pytest.raises(ValueError) as refused:
        convert(naive)
    assert str(refused.value) == str(naive_time(naive))
    assert "naive datetime datetime.datetime(2026, 11, 24, 9, 0)" in str(refused.value)
