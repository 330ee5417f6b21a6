"""``camwarden register | requests | checklist`` and ``camwarden policy render``.

Imports only argparse at module level (the parser is built at every
``camwarden`` start); the work is imported when a command runs. They talk
to the database directly (``--db URL``, or the controller's ``--config F``,
which also names the policies), so they work with the controller stopped.

Exit codes: 0 done (``verify``: intact), 1 ``verify`` found tampering,
2 error (bad input, unknown request, database refused).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controller.register.service import Register


def _database(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--db", metavar="URL", help="sqlite+aiosqlite:///FILE or postgresql+asyncpg://"
    )
    where.add_argument("--config", type=Path, metavar="FILE", help="the controller's config file")
    parser.add_argument(
        "--policy", metavar="ID", help="organisation (policy id); default: all/only"
    )


def add_register_commands(commands: Any, policy_commands: Any) -> None:
    """Add the subcommands to ``camwarden``'s parser."""
    register = commands.add_parser("register", help="the personal video register (관리대장)")
    actions = register.add_subparsers(dest="register_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="check the hash chain; names altered/removed/reordered entries (exit 1)"
    )
    _database(verify)
    verify.add_argument(
        "--anchor",
        type=Path,
        action="append",
        default=[],
        metavar="EXPORT",
        help="an earlier export (CSV or HTML) whose head must still be there",
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_run(_verify))
    listing = actions.add_parser("list", help="print the entries")
    _database(listing)
    listing.add_argument("--kind", choices=["use", "provision", "viewing", "destruction"])
    listing.set_defaults(handler=_run(_list))
    add = actions.add_parser("add", help="append an entry given as JSON (EntryDraft)")
    _database(add)
    add.add_argument("entry", type=Path, metavar="JSON", help="file with the entry, - for stdin")
    add.set_defaults(handler=_run(_add))
    out = actions.add_parser("export", help="CSV or printable HTML with the verification hash")
    _database(out)
    _export_options(out)
    out.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD")
    out.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD")
    out.set_defaults(handler=_run(_export_register))
    sync = actions.add_parser("sync", help="record automatic deletion seen since the last sync")
    _database(sync)
    sync.set_defaults(handler=_run(_sync))

    requests = commands.add_parser("requests", help="data-subject access requests (열람 청구)")
    actions = requests.add_subparsers(dest="requests_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="requests with their deadlines (KST)")
    _database(listing)
    listing.set_defaults(handler=_run(_requests_list))
    add = actions.add_parser("add", help="record a request given as JSON (RequestDraft)")
    _database(add)
    add.add_argument("request", type=Path, metavar="JSON", help="file, - for stdin")
    add.set_defaults(handler=_run(_requests_add))
    answer = actions.add_parser("answer", help="answer a request (a grant writes the register)")
    _database(answer)
    answer.add_argument("id", type=int)
    answer.add_argument("--outcome", choices=["granted", "partly", "refused"], required=True)
    answer.add_argument("--handler", dest="by", required=True, metavar="ROLE")
    answer.add_argument("--reason", help="required for partly and refused")
    answer.add_argument("--form", default="viewing on site", help="form of use")
    answer.set_defaults(handler=_run(_requests_answer))
    close = actions.add_parser("close", help="close an answered request")
    _database(close)
    close.add_argument("id", type=int)
    close.set_defaults(handler=_run(_requests_close))
    out = actions.add_parser("export", help="CSV or printable HTML")
    _database(out)
    _export_options(out)
    out.set_defaults(handler=_run(_export_requests))

    checklist = commands.add_parser(
        "checklist", help="the half-yearly self-inspection (자체점검표)"
    )
    actions = checklist.add_subparsers(dest="checklist_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the checklist filled from evidence")
    _database(show)
    _export_options(show)
    show.set_defaults(handler=_run(_checklist_show))
    done = actions.add_parser("complete", help="record that a person completed the inspection")
    _database(done)
    done.set_defaults(handler=_run(_checklist_complete))

    render = policy_commands.add_parser(
        "render", help="the public policy text or the signboard text a policy file implies"
    )
    render.add_argument("file", type=Path, metavar="FILE")
    render.add_argument("--what", choices=["policy", "signage"], default="policy")
    render.add_argument("--lang", choices=["ko", "en"], default="ko")
    render.add_argument("--site", metavar="ID", help="signage of one site only")
    render.set_defaults(handler=_policy_render)


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["csv", "html"], default="csv")
    parser.add_argument("--lang", choices=["ko", "en"], default="ko")
    parser.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")


Work = Callable[["Register", argparse.Namespace], Awaitable[int]]


def _run(work: Work) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        from schemas.errors import CamwardenError

        try:
            return asyncio.run(_with_register(work, args))
        except (CamwardenError, ValueError, OSError) as exc:
            print(f"camwarden: {exc}", file=sys.stderr)
            return 2

    return handler


async def _with_register(work: Work, args: argparse.Namespace) -> int:
    from controller.config import load_config, load_policies
    from controller.register.service import Register
    from controller.store import Store

    policies: dict[str, Any] = {}
    if args.config is not None:
        config = load_config(args.config)
        url = config.database.url
        policies = {p.policy_id: p for p in load_policies(config)}
    else:
        url = args.db
    store = await Store.open(url)
    try:
        return await work(Register(store, policies), args)
    finally:
        await store.close()


async def _policy_ids(register: Register, args: argparse.Namespace) -> list[str]:
    if args.policy is not None:
        return [args.policy]
    return sorted(set(register.policies) | set(await register.store.registers()))


def _one_policy(register: Register, args: argparse.Namespace) -> str:
    if args.policy is not None:
        register.policy(args.policy)
        return str(args.policy)
    ids = sorted(register.policies)
    if len(ids) != 1:
        raise ValueError(f"name the organisation with --policy (one of {ids}; needs --config)")
    return ids[0]


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


async def _verify(register: Register, args: argparse.Namespace) -> int:
    from controller.register.export import parse_anchor

    anchors = [parse_anchor(path.read_text(encoding="utf-8")) for path in args.anchor]
    ids = await _policy_ids(register, args)
    ids = sorted(set(ids) | {a.policy_id for a in anchors})
    broken = 0
    for policy_id in ids:
        result = await register.verify(policy_id, [a for a in anchors if a.policy_id == policy_id])
        broken += not result.intact
        if args.json:
            print(result.model_dump_json())
            continue
        state = "intact" if result.intact else f"{len(result.problems)} problem(s)"
        print(
            f"{policy_id}: {result.entries} entries, head {result.head_number} "
            f"{result.head_hash}: {state}"
        )
        for problem in result.problems:
            print(f"  entry {problem.number}: {problem.kind}: {problem.detail}")
    return 1 if broken else 0


async def _list(register: Register, args: argparse.Namespace) -> int:
    from controller.register.requests import KST

    for policy_id in await _policy_ids(register, args):
        entries, _ = await register.store.entries(policy_id, kind=args.kind)
        for e in entries:
            d = e.entry
            print(
                f"{policy_id} {e.number:>5} {d.kind:<11} "
                f"{d.occurred_at.astimezone(KST):%Y-%m-%d %H:%M} "
                f"{','.join(d.camera_ids) or '-'}  {d.purpose}  {d.destruction_result or ''}"
            )
    return 0


def _read_json(path: Path) -> str:
    return sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")


async def _add(register: Register, args: argparse.Namespace) -> int:
    from schemas.register import EntryDraft

    policy_id = args.policy or _one_policy(register, args)
    draft = EntryDraft.model_validate_json(_read_json(args.entry))
    stored = await register.store.append(policy_id, [draft], datetime.now(UTC))
    print(f"{policy_id}: entry {stored[0].number} {stored[0].hash}")
    return 0


async def _export_register(register: Register, args: argparse.Namespace) -> int:
    from controller.register.api import render_register

    policy_id = (
        _one_policy(register, args)
        if args.format == "html"
        else (args.policy or _one_policy(register, args))
    )
    _write(
        await render_register(register, policy_id, args.format, args.lang, args.since, args.until),
        args.out,
    )
    return 0


async def _sync(register: Register, args: argparse.Namespace) -> int:
    if not register.policies:
        raise ValueError("sync needs the policies: give --config")
    print(f"{await register.sync()} destruction entries recorded")
    return 0


async def _requests_list(register: Register, args: argparse.Namespace) -> int:
    from controller.register.requests import KST

    for policy_id in await _policy_ids(register, args):
        for r in await register.store.requests(policy_id=policy_id):
            print(
                f"{policy_id} {r.id:>4} {r.state:<9} "
                f"due {r.deadline.astimezone(KST):%Y-%m-%d %H:%M} KST "
                f"(exclusive)  {r.request.requester} ({r.request.relation})  {r.request.purpose}"
            )
        if policy_id in register.policies:
            for finding in await register.findings(policy_id):
                print(f"  {finding.severity}: {finding.rule}: {finding.summary}")
    return 0


async def _requests_add(register: Register, args: argparse.Namespace) -> int:
    from schemas.register import RequestDraft

    draft = RequestDraft.model_validate_json(_read_json(args.request))
    policy = (
        register.policy(args.policy)
        if args.policy
        else register.policy_of_site(draft.site_id or "")
    )
    item = await register.store.create_request(policy, draft)
    print(json.dumps({"id": item.id, "deadline": item.deadline.isoformat()}))
    return 0


async def _requests_answer(register: Register, args: argparse.Namespace) -> int:
    from schemas.register import Answer

    given = Answer(
        outcome=args.outcome,
        answered_at=datetime.now(UTC),
        handler=args.by,
        reason=args.reason,
        form_of_use=args.form,
    )
    item = await register.store.answer_request(args.id, given, datetime.now(UTC))
    print(
        f"request {item.id}: {item.state} ({args.outcome}); register entries "
        f"{list(item.register_numbers)}"
    )
    return 0


async def _requests_close(register: Register, args: argparse.Namespace) -> int:
    item = await register.store.close_request(args.id, datetime.now(UTC))
    print(f"request {item.id}: {item.state}")
    return 0


async def _export_requests(register: Register, args: argparse.Namespace) -> int:
    from controller.register.api import render_requests

    policy_id = _one_policy(register, args)
    _write(await render_requests(register, policy_id, args.format, args.lang, None, None), args.out)
    return 0


async def _checklist_show(register: Register, args: argparse.Namespace) -> int:
    from controller.register import export

    policy_id = _one_policy(register, args)
    checklist = await register.checklist(policy_id)
    anchor = await register.anchor(policy_id)
    text = (
        export.checklist_csv(checklist, anchor)
        if args.format == "csv"
        else export.checklist_html(checklist, anchor, args.lang)
    )
    _write(text, args.out)
    return 0


async def _checklist_complete(register: Register, args: argparse.Namespace) -> int:
    policy_id = _one_policy(register, args)
    checklist = await register.checklist(policy_id)
    await register.store.save_checklist(checklist, datetime.now(UTC))
    print(
        f"{policy_id}: self-inspection for {checklist.period_from} ~ {checklist.period_until} "
        "recorded"
    )
    return 0


def _policy_render(args: argparse.Namespace) -> int:
    from controller.register.texts import render_policy, render_signage
    from schemas.errors import ConfigError
    from schemas.policy_file import load_policy

    try:
        policy = load_policy(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        text = (
            render_policy(policy, args.lang)
            if args.what == "policy"
            else render_signage(policy, args.lang, args.site)
        )
    except KeyError as exc:
        print(f"camwarden: {exc.args[0]}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0
