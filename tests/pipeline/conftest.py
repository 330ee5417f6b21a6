"""Fixtures of the pipeline tests: each database the controller supports,
policy files of several versions, configs for in-process parts."""

from __future__ import annotations

import asyncio
import io
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from agent.config import AgentConfig, CamerasConfig, MqttConfig, SpoolConfig
from camwarden.broker import Mosquitto
from controller.config import (
    ApiConfig,
    ControllerConfig,
    DatabaseConfig,
    ReconcileConfig,
)
from controller.config import MqttConfig as CtlMqtt
from controller.service import Controller

sys.path.insert(0, str(Path(__file__).parent.parent / "agent"))  # agent_fakes, agent_mqtt

SMALL = Path(__file__).parent.parent / "fixtures" / "policy-small.yaml"
TARGETS = ("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
SERIALS = {"127.0.0.1:1": "TEST-0001", "127.0.0.1:2": "TEST-0002"}  # :3 does not answer


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite (WAL, a file) and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'controller.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def policy_version(folder: Path, version: str, effective_from: str) -> Path:
    """The small test policy under another version label."""
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace('version: "2026-01-01"', f'version: "{version}"', 1)
    text = text.replace("effective_from: 2026-01-01", f"effective_from: {effective_from}", 1)
    path = folder / f"policy-{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def controller_config(
    db_url: str, broker: Mosquitto, policy: Path, **mqtt: Any
) -> ControllerConfig:
    return ControllerConfig(
        database=DatabaseConfig(url=db_url),
        mqtt=CtlMqtt(
            host=broker.host, port=broker.port, client_id=f"ctl-{uuid.uuid4().hex[:8]}", **mqtt
        ),
        policies=(str(policy),),
        api=ApiConfig(host="127.0.0.1", port=0),
        reconcile=ReconcileConfig(interval_s=60, debounce_s=0.02),
    )


STOP_LIMIT_S = 45.0
"""Under the tests' 120 s timeout, so that a hang is reported with its stacks."""


async def stop_controller(ctl: Controller) -> None:
    """``ctl.stop()``; if it has not returned within ``STOP_LIMIT_S``, a
    failure listing where every task waits. A rare hang of this teardown
    was seen under load (twice, with both databases); its likely cause, a
    cancel that ``asyncio.wait_for`` dropped, is fixed (``controller.waiting``).
    Should another hang come, this says where: pytest-timeout's dump
    shows threads, not tasks."""
    stopping = asyncio.ensure_future(ctl.stop())
    done, _ = await asyncio.wait({stopping}, timeout=STOP_LIMIT_S)
    if not done:
        stacks = io.StringIO()
        for task in asyncio.all_tasks():
            print(f"--- {task!r}", file=stacks)
            task.print_stack(file=stacks)
        pytest.fail(f"Controller.stop() did not return in {STOP_LIMIT_S} s:\n{stacks.getvalue()}")
    stopping.result()


def agent_config(
    broker: Mosquitto, policy: Path, *, spool: Path | None = None, **extra: Any
) -> AgentConfig:
    return AgentConfig(
        agent_id="test-agent",
        site_id="test-main",
        policy=str(policy),
        mqtt=MqttConfig(host=broker.host, port=broker.port, keepalive_s=10),
        spool=SpoolConfig(enabled=spool is not None, path=str(spool or "unused")),
        cameras=CamerasConfig(targets=TARGETS),
        interval_s=3600.0,
        **extra,
    )
