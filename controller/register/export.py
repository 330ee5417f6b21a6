"""Exports of the register, the access requests and the checklist: CSV (that
re-imports to the same entries) and a printable HTML document in Korean or
English, each stating the organisation, the period and the verification
hash. Pure: text in, text out.

Every export carries an anchor line, ``camwarden-anchor: policy=ID number=N
hash=H exported_at=T``, in a leading ``#`` comment (CSV) or an HTML comment:
the register's head when the export was made. ``parse_anchor`` reads it
back for ``camwarden register verify --anchor EXPORT``, which then catches a
register rewritten from scratch after that export.

CSV times are ISO 8601 in KST (+09:00), which reads well and converts back to
the same instants; the hashes re-computed from re-imported entries equal the
exported ones (``reseal``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime

from controller.register.chain import seal
from controller.register.requests import KST
from schemas.register import (
    AccessRequest,
    Anchor,
    Checklist,
    EntryDraft,
    RegisterEntry,
    VerifyResult,
)

Lang = str  # "ko" | "en"

ANCHOR = re.compile(
    r"camwarden-anchor: policy=(?P<policy>\S+) number=(?P<number>\d+) "
    r"hash=(?P<hash>[0-9a-f]{64}) exported_at=(?P<at>\S+)"
)

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("number", "번호", "No."),
    ("kind", "구분", "Kind"),
    ("occurred_at", "일시", "Date and time"),
    ("site_id", "장소", "Site"),
    ("camera_ids", "카메라", "Camera(s)"),
    ("footage_from", "영상 시작", "Footage from"),
    ("footage_until", "영상 끝", "Footage until"),
    ("file_name", "파일명", "File name"),
    ("file_form", "형태", "Form"),
    ("handler", "담당자", "Handler"),
    ("purpose", "목적/사유", "Purpose"),
    ("recipient", "제3자/열람등 요구자", "Recipient or requester"),
    ("legal_basis", "이용·제공 근거", "Legal basis"),
    ("form_of_use", "이용·제공 형태", "Form of use"),
    ("period_of_use", "기간", "Period of use"),
    ("destruction_due", "파기예정일자", "Destruction due"),
    ("destruction_result", "파기 등 결과", "Destruction result"),
    ("safety_request", "안전관리 요청 및 결과", "Safety request"),
    ("corrects", "정정 대상", "Corrects entry"),
    ("request_id", "청구 번호", "Request"),
    ("automatic", "자동", "Automatic"),
    ("recorded_at", "기록 일시", "Recorded at"),
    ("prev_hash", "이전 해시", "Previous hash"),
    ("hash", "해시", "Hash"),
)
KINDS = {
    "use": ("이용", "use"),
    "provision": ("제공", "provision"),
    "viewing": ("열람", "viewing"),
    "destruction": ("파기", "destruction"),
}
DRAFT_FIELDS = tuple(EntryDraft.model_fields)


def anchor_line(anchor: Anchor) -> str:
    return (
        f"camwarden-anchor: policy={anchor.policy_id} number={anchor.number} "
        f"hash={anchor.hash} exported_at={anchor.exported_at.astimezone(UTC).isoformat()}"
    )


def parse_anchor(text: str) -> Anchor:
    """The anchor an export carries; ValueError when it has none."""
    match = ANCHOR.search(text)
    if match is None:
        raise ValueError("no camwarden-anchor line in this export")
    return Anchor(
        policy_id=match["policy"],
        number=int(match["number"]),
        hash=match["hash"],
        exported_at=datetime.fromisoformat(match["at"]),
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(KST).isoformat()
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def register_csv(entries: Sequence[RegisterEntry], anchor: Anchor) -> str:
    out = io.StringIO()
    out.write(f"# {anchor_line(anchor)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c[0] for c in COLUMNS])
    for entry in entries:
        values = {
            **dict(entry.entry),
            "number": entry.number,
            "recorded_at": entry.recorded_at,
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        }
        writer.writerow([_cell(values[name]) for name, _, _ in COLUMNS])
    return out.getvalue()


def read_register_csv(text: str, policy_id: str) -> list[RegisterEntry]:
    """The entries a ``register_csv`` export holds (ValueError when malformed)."""
    while text.startswith("#"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    entries: list[RegisterEntry] = []
    for row in csv.DictReader(io.StringIO(text)):
        draft: dict[str, object] = {}
        for name in DRAFT_FIELDS:
            raw = row[name]
            if raw == "":
                continue
            if name == "camera_ids":
                draft[name] = raw.split(" ")
            elif name in ("corrects", "request_id"):
                draft[name] = int(raw)
            elif name == "automatic":
                draft[name] = raw == "yes"
            else:
                draft[name] = raw
        entries.append(
            RegisterEntry.model_validate_json(
                json.dumps(
                    {
                        "policy_id": policy_id,
                        "number": int(row["number"]),
                        "recorded_at": row["recorded_at"],
                        "entry": draft,
                        "prev_hash": row["prev_hash"],
                        "hash": row["hash"],
                    }
                )
            )
        )
    return entries


def reseal(entry: RegisterEntry) -> str:
    """The hash ``entry`` must carry, recomputed from its fields."""
    return seal(entry.policy_id, entry.number, entry.recorded_at, entry.entry, entry.prev_hash).hash


def requests_csv(requests: Sequence[AccessRequest], anchor: Anchor) -> str:
    out = io.StringIO()
    out.write(f"# {anchor_line(anchor)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "id",
            "kind",
            "state",
            "site_id",
            "requester",
            "relation",
            "camera_ids",
            "places",
            "footage_from",
            "footage_until",
            "purpose",
            "received_at",
            "deadline",
            "outcome",
            "answered_at",
            "reason",
            "closed_at",
            "register_numbers",
        ]
    )
    for r in requests:
        d, a = r.request, r.answer
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.id,
                    d.kind,
                    r.state,
                    d.site_id,
                    d.requester,
                    d.relation,
                    d.camera_ids,
                    d.places,
                    d.footage_from,
                    d.footage_until,
                    d.purpose,
                    d.received_at,
                    r.deadline,
                    a.outcome if a else None,
                    a.answered_at if a else None,
                    a.reason if a else None,
                    r.closed_at,
                    tuple(str(n) for n in r.register_numbers),
                )
            ]
        )
    return out.getvalue()


def checklist_csv(checklist: Checklist, anchor: Anchor) -> str:
    out = io.StringIO()
    out.write(f"# {anchor_line(anchor)}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["no", "text_ko", "text_en", "status", "evidence", "note"])
    for item in checklist.items:
        writer.writerow(
            [item.no, item.text_ko, item.text_en, item.status, " ".join(item.evidence), item.note]
        )
    return out.getvalue()


# -- printable HTML ---------------------------------------------------------

TITLES = {
    "register": ("개인영상정보 관리대장", "Personal video information register"),
    "requests": ("개인영상정보 존재확인·열람 청구 처리대장", "Access requests"),
    "checklist": ("영상정보처리기기 설치·운영 자체점검표", "CCTV self-inspection checklist"),
}
LABELS = {
    "organisation": ("기관", "Organisation"),
    "period": ("기간", "Period"),
    "hash": ("검증 해시(대장 최종)", "Verification hash (register head)"),
    "verify": ("무결성 검증", "Integrity"),
    "intact": ("이상 없음", "intact"),
    "broken": ("위·변조 의심", "ALTERED"),
    "generated": ("출력 일시", "Printed"),
}
STATUS = {
    "done": ("조치", "done"),
    "not-done": ("미조치", "not done"),
    "not-applicable": ("해당 없음", "n/a"),
    "needs-person": ("담당자 확인", "needs a person"),
}
STYLE = (
    "body{font-family:sans-serif;font-size:10pt;margin:1.5cm}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #444;padding:3px;"
    "vertical-align:top}th{background:#eee}.hash{font-family:monospace;font-size:8pt;"
    "word-break:break-all}@media print{@page{size:A4 landscape;margin:1cm}body{margin:0}}"
)


def _t(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "ko" else pair[1]


def _document(
    what: str,
    organisation: str,
    period: tuple[date, date],
    anchor: Anchor,
    verified: VerifyResult | None,
    body: str,
    lang: Lang,
) -> str:
    e = html.escape
    status = ""
    if verified is not None:
        word = _t(LABELS["intact" if verified.intact else "broken"], lang)
        status = f"<tr><th>{_t(LABELS['verify'], lang)}</th><td>{e(word)}</td></tr>"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{e(_t(TITLES[what], lang))}</title><style>{STYLE}</style></head><body>\n"
        f"<!-- {anchor_line(anchor)} -->\n"
        f"<h1>{e(_t(TITLES[what], lang))}</h1>\n<table>"
        f"<tr><th>{_t(LABELS['organisation'], lang)}</th><td>{e(organisation)}</td></tr>"
        f"<tr><th>{_t(LABELS['period'], lang)}</th><td>{period[0]} ~ {period[1]}</td></tr>"
        f"<tr><th>{_t(LABELS['hash'], lang)}</th><td class=hash>{anchor.number}: "
        f"{anchor.hash}</td></tr>{status}"
        f"<tr><th>{_t(LABELS['generated'], lang)}</th>"
        f"<td>{anchor.exported_at.astimezone(KST):%Y-%m-%d %H:%M} KST</td></tr></table>\n"
        f"{body}\n</body></html>\n"
    )


def _display(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(KST).strftime("%Y-%m-%d %H:%M")
    return _cell(value)


def register_html(
    entries: Sequence[RegisterEntry],
    organisation: str,
    period: tuple[date, date],
    anchor: Anchor,
    verified: VerifyResult | None,
    lang: Lang = "ko",
) -> str:
    shown = [c for c in COLUMNS if c[0] not in ("prev_hash", "automatic", "recorded_at")]
    head = "".join(f"<th>{html.escape(_t((c[1], c[2]), lang))}</th>" for c in shown)
    rows = []
    for entry in entries:
        values = {**dict(entry.entry), "number": entry.number, "hash": entry.hash[:12]}
        values["kind"] = _t(KINDS[entry.entry.kind], lang)
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(_display(values[c[0]]))}</td>" for c in shown)
            + "</tr>"
        )
    body = f"<table><tr>{head}</tr>\n" + "\n".join(rows) + "</table>"
    return _document("register", organisation, period, anchor, verified, body, lang)


def requests_html(
    requests: Sequence[AccessRequest],
    organisation: str,
    period: tuple[date, date],
    anchor: Anchor,
    lang: Lang = "ko",
) -> str:
    names = [
        ("번호", "No."),
        ("접수", "Received"),
        ("처리기한", "Due"),
        ("청구인", "Requester"),
        ("관계", "Relation"),
        ("기록기간", "Footage"),
        ("목적", "Purpose"),
        ("상태", "State"),
        ("결과", "Outcome"),
        ("사유", "Reason"),
    ]
    head = "".join(f"<th>{_t(n, lang)}</th>" for n in names)
    rows = []
    for r in requests:
        d, a = r.request, r.answer
        cells = (
            r.id,
            d.received_at,
            r.deadline,
            d.requester,
            d.relation,
            f"{_display(d.footage_from)} ~ {_display(d.footage_until)}",
            d.purpose,
            r.state,
            a.outcome if a else "",
            a.reason if a else "",
        )
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(_display(c))}</td>" for c in cells) + "</tr>"
        )
    body = f"<table><tr>{head}</tr>\n" + "\n".join(rows) + "</table>"
    return _document("requests", organisation, period, anchor, None, body, lang)


def checklist_html(checklist: Checklist, anchor: Anchor, lang: Lang = "ko") -> str:
    head = "".join(
        f"<th>{_t(n, lang)}</th>"
        for n in [
            ("번호", "No."),
            ("세부 점검내용", "Item"),
            ("결과", "Result"),
            ("증빙", "Evidence"),
            ("비고", "Note"),
        ]
    )
    rows = []
    for item in checklist.items:
        text = item.text_ko if lang == "ko" else item.text_en
        rows.append(
            f"<tr><td>{item.no}</td><td>{html.escape(text)}</td>"
            f"<td>{_t(STATUS[item.status], lang)}</td>"
            f"<td class=hash>{html.escape(' '.join(item.evidence))}</td>"
            f"<td>{html.escape(item.note)}</td></tr>"
        )
    body = (
        f"<p>{_t(('점검 기한', 'Due'), lang)}: {checklist.due}</p>"
        f"<table><tr>{head}</tr>\n" + "\n".join(rows) + "</table>"
    )
    return _document(
        "checklist",
        checklist.organisation,
        (checklist.period_from, checklist.period_until),
        anchor,
        None,
        body,
        lang,
    )
