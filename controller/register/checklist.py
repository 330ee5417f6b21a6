"""The nine-item self-inspection checklist (자체점검표, seed 004), pure.

Each item is filled from evidence where software can see it (live findings,
the register and its verification, the access requests) and links to that
evidence; items only a person can answer (stakeholder consultation, the
signboards, written outsourcing contracts) are ``needs-person``. The
inspection is due twice a year: by the end of March for the first half and
by the end of September for the second (seed 004: "3월 / 9월, 반기별 1회"),
in KST calendar terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from controller.register.requests import kst_date, kst_start
from schemas.findings import Finding, make_finding
from schemas.policy import Policy
from schemas.register import (
    AccessRequest,
    Checklist,
    ChecklistItem,
    ItemStatus,
    RegisterEntry,
    VerifyResult,
)


@dataclass(frozen=True)
class ItemText:
    no: int
    ko: str
    en: str


ITEMS: tuple[ItemText, ...] = (
    ItemText(
        1,
        "영상정보처리기기 설치에 따른 전문가 및 이해관계자의 의견을 수렴하였는가?",
        "Were experts and stakeholders consulted on installing the cameras?",
    ),
    ItemText(
        2,
        "영상정보처리기기 설치 시, 안내판을 설치하였는가?",
        "Were signboards put up where the cameras are installed?",
    ),
    ItemText(
        3,
        "영상정보처리기기를 임의조작하거나 녹음기능을 사용하지 않는가?",
        "Are the cameras free of arbitrary manipulation and audio recording?",
    ),
    ItemText(
        4,
        "영상정보처리기기 운영·관리방침이 수립되어 있으며, 법 의무사항이 모두 반영되어 있는가?",
        "Is an operation and management policy in place covering every legal item?",
    ),
    ItemText(
        5,
        "영상정보처리기기를 안전하게 보관·관리하고 있는가?",
        "Are the cameras and footage kept and managed safely?",
    ),
    ItemText(
        6,
        "목적달성 시 개인영상정보를 지체없이 파기하고 있는가?",
        "Is footage destroyed without delay once its purpose is served?",
    ),
    ItemText(
        7,
        "개인영상정보를 이용·제공, 파기, 열람하는 경우 해당 내용을 기록하고 관리하는가?",
        "Are use, provision, destruction and viewing of footage recorded?",
    ),
    ItemText(
        8,
        "정보주체의 개인영상정보 열람 요구에 관한 사항을 기록하고 관리하는가?",
        "Are data subjects' access requests recorded and managed?",
    ),
    ItemText(
        9,
        "영상정보처리 위탁 시 문서를 통해 수행하고 있는가?",
        "Is outsourced processing done under a written contract?",
    ),
)

NO_MANIPULATION = (
    "audio.encoder-enabled",
    "audio.recorded",
    "ptz.unapproved",
    "ptz.off-preset",
    "ptz.unapproved-preset",
)
SAFE_STORAGE = (
    "security.anonymous-access",
    "security.vendor-unapproved",
    "security.firmware-unapproved",
    "clock.drift",
)
DESTRUCTION = ("retention.kept-too-long", "retention.configured-too-long")


def half_year(now: datetime) -> tuple[date, date, date]:
    """(first day, last day, due date) of the KST half-year ``now`` is in."""
    today = kst_date(now)
    if today.month <= 6:
        return date(today.year, 1, 1), date(today.year, 6, 30), date(today.year, 3, 31)
    return date(today.year, 7, 1), date(today.year, 12, 31), date(today.year, 9, 30)


def _evidence(findings: Iterable[Finding], rules: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        sorted(
            f"finding:{f.rule}@{f.site_id or '-'}/{f.camera_id or f.address or f.agent_id or '-'}"
            for f in findings
            if f.rule in rules
        )
    )


def _from_findings(
    text: ItemText, findings: Sequence[Finding], rules: Sequence[str], cameras: int
) -> ChecklistItem:
    found = _evidence(findings, rules)
    if found:
        return _item(text, "not-done", found, f"{len(found)} live finding(s)")
    return _item(text, "done", (), f"no live finding of {', '.join(rules)} on {cameras} camera(s)")


def _item(
    text: ItemText, status: ItemStatus, evidence: tuple[str, ...], note: str
) -> ChecklistItem:
    return ChecklistItem(
        no=text.no, text_ko=text.ko, text_en=text.en, status=status, evidence=evidence, note=note
    )


def fill_checklist(
    policy: Policy,
    findings: Sequence[Finding],
    register: Sequence[RegisterEntry],
    verified: VerifyResult,
    requests: Sequence[AccessRequest],
    now: datetime,
) -> Checklist:
    """The checklist for the half-year ``now`` is in. ``findings``: the live
    findings of the policy's sites; ``register``: its entries (any period)."""
    start, end, due = half_year(now)
    cameras = sum(1 for _ in policy.cameras())
    t = {item.no: item for item in ITEMS}
    items: list[ChecklistItem] = [
        _item(t[1], "needs-person", (), "record the consultation (minutes, date) by hand"),
        _item(
            t[2],
            "needs-person",
            (),
            "check every signboard on site; `camwarden policy render --what signage` gives "
            "the text the configuration implies",
        ),
        _from_findings(t[3], findings, NO_MANIPULATION, cameras),
        _item(
            t[4],
            "done",
            (f"policy:{policy.policy_id}@{policy.version}",),
            "the published text is generated from the policy file "
            "(`camwarden policy render --what policy`)",
        ),
        _from_findings(t[5], findings, SAFE_STORAGE, cameras),
    ]
    destroyed = tuple(
        f"register:{e.number}"
        for e in register
        if e.entry.kind == "destruction" and e.entry.purpose.startswith("monthly check")
    )[-6:]
    late = _evidence(findings, DESTRUCTION)
    if late:
        items.append(_item(t[6], "not-done", late + destroyed, f"{len(late)} live finding(s)"))
    else:
        items.append(
            _item(
                t[6],
                "done",
                destroyed,
                "automatic deletion is recorded and its monthly checks kept",
            )
        )
    if not verified.intact:
        items.append(
            _item(
                t[7],
                "not-done",
                tuple(f"register:{p.number}" for p in verified.problems),
                "the register fails verification",
            )
        )
    elif not register:
        items.append(_item(t[7], "not-done", (), "the register holds no entry"))
    else:
        items.append(
            _item(
                t[7],
                "done",
                (f"register:head:{verified.head_hash}",),
                f"{verified.entries} entries, hash chain intact",
            )
        )
    late_requests = tuple(
        f"request:{r.id}"
        for r in requests
        if (r.answer is not None and r.answer.answered_at >= r.deadline)
        or (r.answer is None and now >= r.deadline)
    )
    if late_requests:
        items.append(_item(t[8], "not-done", late_requests, "answered late or overdue"))
    else:
        items.append(
            _item(
                t[8],
                "done",
                tuple(f"request:{r.id}" for r in requests),
                f"{len(requests)} request(s) recorded, all answered in time",
            )
        )
    if any(role.role == "outsourced-operator" for role in policy.roles):
        items.append(_item(t[9], "needs-person", (), "attach the written outsourcing contract"))
    else:
        items.append(_item(t[9], "not-applicable", (), "the policy names no outsourced operator"))
    return Checklist(
        policy_id=policy.policy_id,
        organisation=policy.organisation.name,
        period_from=start,
        period_until=end,
        generated_at=now,
        due=due,
        items=tuple(items),
        register_head=verified.head_hash,
    )


def checklist_findings(
    policy: Policy, last_completed: datetime | None, now: datetime
) -> list[Finding]:
    """``checklist.overdue`` when the current half-year's due date (end of
    its day, KST) has passed and no checklist was completed in the half-year."""
    start, _, due = half_year(now)
    if now < kst_start(due + timedelta(days=1)):
        return []
    if last_completed is not None and kst_date(last_completed) >= start:
        return []
    return [
        make_finding(
            "checklist.overdue",
            f"the self-inspection of {policy.organisation.name} for the half-year from "
            f"{start.isoformat()} was due by {due.isoformat()} and is not recorded",
            {
                "policy_id": policy.policy_id,
                "due": due.isoformat(),
                "last_completed": last_completed.isoformat() if last_completed else None,
            },
            address=f"checklist-{policy.policy_id}",
        )
    ]
