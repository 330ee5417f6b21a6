"""The paperwork screen (``g``) against the controller's real API on
loopback (SQLite, token auth, two organisations): the register with its
chain verified, an overdue access request, the checklist, a register
tampered with in the database, and moving between organisations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, update
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent

from controller.api import build_app
from controller.auth import TokenEntry, Tokens, hash_token
from controller.config import ReconcileConfig
from controller.reconciler import Reconciler, declared_sites
from controller.register.store import RegisterStore
from controller.register.tables import register_entries
from controller.store import Store
from schemas.policy_file import load_policy
from schemas.register import EntryDraft, RequestDraft
from tui.app import CamwardenApp
from tui.screens.help import help_text
from tui.screens.paperwork import PaperworkScreen
from tui.widgets.keyed_table import KeyedTable

FIXTURES = Path(__file__).parent.parent / "fixtures"
TOKEN = "cw_paperwork-viewer"
KST = ZoneInfo("Asia/Seoul")
RECEIVED = datetime(2026, 5, 29, 2, 0, tzinfo=UTC)  # due before 9 June 00:00 KST
NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # a day and a half past it
WAIT_S = 20.0


@dataclass
class Controller:
    url: str
    store: Store


@pytest.fixture
async def controller(tmp_path: Path) -> AsyncIterator[Controller]:
    """The API over two policies, with one provision in test-office's
    register and one request there still unanswered past its deadline."""
    policies = [load_policy(FIXTURES / name) for name in ("policy-small.yaml", "policy-e2e.yaml")]
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'paperwork.db'}")
    reconciler = Reconciler(store, declared_sites(policies), ReconcileConfig(), clock=lambda: NOW)
    register = RegisterStore(store.engine)
    await register.append("test-office", [EntryDraft(
        kind="provision",
        occurred_at=datetime(2026, 5, 29, 14, 0, tzinfo=KST),
        site_id="test-main",
        camera_ids=("test-main-cam2",),
        footage_from=datetime(2026, 5, 20, 18, 30, tzinfo=KST),
        footage_until=datetime(2026, 5, 20, 19, 0, tzinfo=KST),
        file_name="260520-cam2.mp4",
        handler="security officer",
        purpose="investigation of a theft",
        recipient="police station investigation team (investigator)",
        legal_basis="PIPA Art. 18(2)7",
        form_of_use="copy on USB",
        destruction_due=datetime(2026, 6, 28).date(),
    )], RECEIVED)
    await register.create_request(policies[0], RequestDraft(
        site_id="test-main",
        requester="data subject",
        relation="self",
        camera_ids=("test-main-cam1",),
        footage_from=RECEIVED - timedelta(days=2),
        footage_until=RECEIVED - timedelta(days=2) + timedelta(minutes=30),
        purpose="lost wallet in the lobby",
        received_at=RECEIVED,
    ))
    tokens = Tokens([TokenEntry(name="viewer", role="viewer", sha256=hash_token(TOKEN))])
    server = TestServer(build_app(reconciler, store, tokens=tokens), host="127.0.0.1")
    await server.start_server()
    yield Controller(f"http://127.0.0.1:{server.port}", store)
    await server.close()
    await store.close()


def console(controller: Controller) -> CamwardenApp:
    return CamwardenApp(controller.url, token=TOKEN, refresh_seconds=0, clock=lambda: NOW,
                        display_tz=KST, live=False)


async def open_paperwork(pilot: Pilot[int], loads: int = 1) -> PaperworkScreen:
    await pilot.pause()
    if not isinstance(pilot.app.screen, PaperworkScreen):
        await pilot.press("g")
        await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PaperworkScreen)
    async with asyncio.timeout(WAIT_S):
        await screen.wait_loaded(loads)
    await pilot.pause()
    return screen


def shown(screen: PaperworkScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).content)


def cell(table: KeyedTable, key: str, column: str) -> str:
    return str(table.get_cell(key, column))


async def show_office(pilot: Pilot[int], screen: PaperworkScreen, policy_id: str) -> None:
    """Press ``o`` until ``policy_id`` is the organisation shown."""
    for _ in range(len(screen.organisations)):
        if screen.policy_id == policy_id:
            break
        loads = screen.loads
        await pilot.press("o")
        async with asyncio.timeout(WAIT_S):
            await screen.wait_loaded(loads + 1)
        await pilot.pause()
    assert screen.policy_id == policy_id


async def test_register_requests_and_checklist_of_an_organisation(
    controller: Controller,
) -> None:
    async with console(controller).run_test(size=(120, 40)) as pilot:
        screen = await open_paperwork(pilot)
        await show_office(pilot, screen, "test-office")
        assert "Test Office" in shown(screen, "organisation") or "시험 기관" in shown(
            screen, "organisation"
        )

        verdict = shown(screen, "verify")
        assert "✔ chain intact: 1 entries, head #1" in verdict
        register = screen.query_one("#register-table", KeyedTable)
        assert register.keys == ["1"]
        assert cell(register, "1", "kind") == "provision 제공"
        assert cell(register, "1", "when") == "2026-05-29 14:00 KST"
        assert cell(register, "1", "due") == "2026-06-28"
        entry = shown(screen, "entry-detail")
        assert "police station investigation team" in entry
        assert "2026-05-20 18:30 KST ~ 2026-05-20 19:00 KST" in entry
        assert "PIPA Art. 18(2)7" in entry

        await pilot.press("2")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "requests"
        requests = screen.query_one("#requests-table", KeyedTable)
        assert requests.keys == ["1"]
        assert cell(requests, "1", "deadline") == "✖ OVERDUE 1 d (by 2026-06-08)"
        assert cell(requests, "1", "state") == "● received"
        assert "request.overdue" in shown(screen, "request-findings")
        assert "1 requests, 1 awaiting an answer" in shown(screen, "request-findings")
        assert "lost wallet in the lobby" in shown(screen, "request-detail")

        await pilot.press("3")
        await pilot.pause()
        checklist = screen.query_one("#checklist-table", KeyedTable)
        assert checklist.keys == [str(n) for n in range(1, 10)]
        statuses = {cell(checklist, str(n), "status") for n in range(1, 10)}
        assert "? needs a person" in statuses
        head = shown(screen, "checklist-head")
        assert "자체점검표" in head and "Last completed: never" in head
        assert shown(screen, "item-detail").startswith("1. ")

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, PaperworkScreen)


async def test_a_register_altered_in_the_database_shows_tampered(
    controller: Controller,
) -> None:
    async with controller.store.engine.begin() as connection:
        await connection.execute(
            update(register_entries)
            .where(register_entries.c.number == 1)
            .values(body=func.replace(register_entries.c.body, "theft", "thefts"))
        )
    async with console(controller).run_test(size=(120, 40)) as pilot:
        screen = await open_paperwork(pilot)
        await show_office(pilot, screen, "test-office")
        verdict = shown(screen, "verify")
        assert verdict.startswith("✖ TAMPERED: 1 problem")
        assert "✖ #1 altered" in verdict
        register = screen.query_one("#register-table", KeyedTable)
        assert cell(register, "1", "chain") == "✖ altered"
        assert "thefts" in shown(screen, "entry-detail")


async def test_o_moves_through_the_organisations(controller: Controller) -> None:
    async with console(controller).run_test(size=(100, 30)) as pilot:
        screen = await open_paperwork(pilot)
        assert set(screen.organisations) == {"test-office", "e2e-office"}
        first = screen.policy_id
        await show_office(pilot, screen, "e2e-office" if first == "test-office" else "test-office")
        assert "of 2, o: next" in shown(screen, "organisation")
        await show_office(pilot, screen, "e2e-office")
        assert screen.query_one("#register-table", KeyedTable).keys == []
        assert "0 entries" in shown(screen, "verify")
        assert shown(screen, "entry-detail") == "the register is empty"
        assert screen.query_one("#requests-table", KeyedTable).keys == []
        assert "✔ nothing raised" in shown(screen, "request-findings")


def test_help_names_the_paperwork_keys() -> None:
    text = help_text().plain
    assert "paperwork: register, access requests, self-inspection checklist" in text
    assert "✖ TAMPERED" in text and "? needs a person" in text
