"""The CLI: verify's exit codes (0 intact, 1 tampered and named, 2 error),
anchors from earlier exports, requests, checklist and policy render."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from camwarden.cli import main
from controller.register.store import RegisterStore
from controller.register.tables import register_entries, register_heads
from controller.store import Store
from schemas.register import EntryDraft

# Each command runs its own event loop and must leave no thread behind that
# answers it after asyncio.run has closed it (a failed open once did).
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def _fill(url: str, count: int, purpose: str = "p") -> None:
    async def fill() -> None:
        store = await Store.open(url)
        drafts = [
            EntryDraft(
                kind="use", occurred_at=NOW, handler="security officer", purpose=f"{purpose}{i}"
            )
            for i in range(count)
        ]
        await RegisterStore(store.engine).append("test-office", drafts, NOW)
        await store.close()

    asyncio.run(fill())


def _sql(url: str, *statements: object) -> None:
    async def run() -> None:
        store = await Store.open(url)
        async with store.engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)  # type: ignore[call-overload]
        await store.close()

    asyncio.run(run())


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'register.db'}"


def test_verify_exits_0_when_intact_and_1_naming_the_altered_entry(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(url, 4)
    assert main(["register", "verify", "--db", url]) == 0
    assert "test-office: 4 entries, head 4" in capsys.readouterr().out
    _sql(
        url,
        update(register_entries)
        .where(register_entries.c.number == 3)
        .values(body=register_entries.c.body + " "),
    )
    assert main(["register", "verify", "--db", url]) == 1
    assert "entry 3: altered" in capsys.readouterr().out


def test_a_rewritten_register_fails_against_an_earlier_export(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "controller.yaml"
    config.write_text(
        f"database: {{url: '{url}'}}\npolicies: ['{FIXTURES / 'policy-small.yaml'}']\n"
    )
    _fill(url, 3)
    export = tmp_path / "register.csv"
    assert main(["register", "export", "--config", str(config), "--out", str(export)]) == 0
    # rewrite: new hashes everywhere, head moved along, chain self-consistent
    _sql(url, register_entries.delete(), register_heads.delete())
    _fill(url, 3, purpose="forged ")
    assert main(["register", "verify", "--db", url]) == 0
    capsys.readouterr()
    assert main(["register", "verify", "--db", url, "--anchor", str(export)]) == 1
    assert "entry 3: anchor-mismatch" in capsys.readouterr().out


def test_a_database_that_cannot_open_exits_2(tmp_path: Path) -> None:
    bad = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'no.db'}"
    assert main(["register", "verify", "--db", bad]) == 2


def test_requests_from_the_command_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "controller.yaml"
    config.write_text(
        f"database: {{url: '{url}'}}\npolicies: ['{FIXTURES / 'policy-small.yaml'}']\n"
    )
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "site_id": "test-main",
                "requester": "data subject",
                "relation": "self",
                "places": "1F lobby",
                "footage_from": "2026-03-01T18:30:00+09:00",
                "footage_until": "2026-03-01T19:00:00+09:00",
                "purpose": "lost wallet",
                "received_at": "2026-03-02T10:00:00+09:00",
            }
        )
    )
    assert main(["requests", "add", "--config", str(config), str(request)]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created == {"id": 1, "deadline": "2026-03-12T15:00:00+00:00"}
    assert (
        main(
            [
                "requests",
                "answer",
                "--config",
                str(config),
                "1",
                "--outcome",
                "refused",
                "--handler",
                "manager",
            ]
        )
        == 2
    )  # a refusal needs its reason
    assert (
        main(
            [
                "requests",
                "answer",
                "--config",
                str(config),
                "1",
                "--outcome",
                "granted",
                "--handler",
                "security officer",
            ]
        )
        == 0
    )
    assert "register entries [1]" in capsys.readouterr().out
    assert main(["requests", "close", "--config", str(config), "1"]) == 0
    assert main(["requests", "close", "--config", str(config), "1"]) == 2
    assert main(["checklist", "show", "--config", str(config)]) == 0
    assert "needs-person" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("what", "lang", "expected"),
    [
        ("policy", "ko", "보관 기간: 촬영일부터 30일"),
        ("policy", "en", "Retention: 30 days from the day of capture"),
        ("signage", "ko", "촬영 시간: 24시간 연속 촬영"),
        ("signage", "en", "Manager: head of general affairs"),
    ],
)
def test_policy_render(
    what: str, lang: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "policy",
                "render",
                str(FIXTURES / "policy-small.yaml"),
                "--what",
                what,
                "--lang",
                lang,
            ]
        )
        == 0
    )
    assert expected in capsys.readouterr().out
