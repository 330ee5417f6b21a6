"""The paperwork a CCTV policy demands, as data: the personal video register
(개인영상정보 관리대장), data-subject access requests (존재확인·열람 청구) and the
nine-item self-inspection checklist (자체점검표, seed 004).

People appear only by role ("head of general affairs", "police station
investigator"): never a name, a phone number or an ID number. Times are
UTC-aware instants; Korea Standard Time is for display only.

The register is append-only and hash-chained (see ``controller.register.chain``):
an entry, once written, is never changed. A correction is a new entry whose
``corrects`` names the number of the entry it corrects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator, model_validator

from schemas.base import Model
from schemas.findings import Finding

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

EntryKind = Literal["use", "provision", "viewing", "destruction"]
"""이용 (our own use), 제공 (to a third party, including one who watches on
site), 열람 (to the data subject), 파기 (destruction, automatic deletion included)."""

ENTRY_KINDS: tuple[EntryKind, ...] = ("use", "provision", "viewing", "destruction")

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of an organisation's first entry."""


class EntryDraft(Model):
    """What a person (or the controller) states when recording an entry:
    every column of the seed form (004, 붙임 2 and its 작성요령).

    ``occurred_at`` is 일시 (when the request was received or the act done);
    the store adds ``recorded_at`` (when it was written) and the chain."""

    kind: EntryKind
    occurred_at: AwareDatetime
    site_id: Slug | None = None
    camera_ids: tuple[Slug, ...] = ()
    """Camera(s) whose footage this is about."""
    footage_from: AwareDatetime | None = None
    footage_until: AwareDatetime | None = None
    """Period of the footage (영상정보 기록기간)."""
    file_name: Text | None = None
    """파일명 ('12.10.5 cameras 3~10, 121005-0003.mp4')."""
    file_form: Text | None = None
    """형태 (video, still print...)."""
    handler: Text
    """담당자: the handling role, never a name."""
    purpose: Text
    """목적/사유."""
    recipient: Text | None = None
    """이용·제공받는 제3자 / 열람 등 요구자: an organisation and role."""
    legal_basis: Text | None = None
    """이용·제공 근거: the law and article, or the request document's title and number."""
    form_of_use: Text | None = None
    """이용·제공 형태: viewing, copy (print, USB, CD), other."""
    period_of_use: Text | None = None
    """기간: the period of use or provision, when one is set."""
    destruction_due: date | None = None
    """파기예정일자: required for a provision."""
    destruction_result: Text | None = None
    """파기 등 결과 및 처리일자."""
    safety_request: Text | None = None
    """안전관리 요청 및 결과."""
    corrects: int | None = Field(default=None, ge=1)
    """The number of an earlier entry this one corrects."""
    request_id: int | None = Field(default=None, ge=1)
    """The access request this entry answers, when it does."""
    automatic: bool = False
    """Written by the controller (automatic deletion, monthly check)."""

    @field_validator("occurred_at", "footage_from", "footage_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Stored in UTC whatever zone it was given in: the hashed form is one."""
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> EntryDraft:
        if (
            self.footage_from is not None
            and self.footage_until is not None
            and self.footage_until < self.footage_from
        ):
            raise ValueError("footage_until is before footage_from")
        if self.kind == "provision" and self.destruction_due is None:
            raise ValueError("a provision needs its destruction_due date (seed 004)")
        return self


class RegisterEntry(Model):
    """One stored entry of an organisation's register."""

    policy_id: Slug
    number: int = Field(ge=1)
    """번호: 1, 2, 3... per organisation, without gaps."""
    recorded_at: AwareDatetime
    entry: EntryDraft
    prev_hash: Sha256
    hash: Sha256


ProblemKind = Literal["altered", "removed", "reordered", "inserted", "anchor-mismatch"]


class ChainProblem(Model):
    number: int
    """The entry the problem is found at (for ``removed``, the first missing number)."""
    kind: ProblemKind
    detail: str


class VerifyResult(Model):
    policy_id: str
    entries: int
    head_number: int
    head_hash: Sha256
    problems: tuple[ChainProblem, ...] = ()

    @property
    def intact(self) -> bool:
        return not self.problems


class Anchor(Model):
    """The head of a register as an export stated it: a later rewrite of the
    whole chain no longer reproduces this hash at this number."""

    policy_id: Slug
    number: int = Field(ge=0)
    hash: Sha256
    exported_at: AwareDatetime


RequestKind = Literal["existence", "viewing"]
"""존재확인 or 열람."""
RequestState = Literal["received", "answered", "closed"]
Outcome = Literal["granted", "partly", "refused"]


class RequestDraft(Model):
    """A data-subject request as received (seed 004, 붙임 4): who asks in what
    relation to the subject (never names or ID numbers), which cameras or
    places, which period of footage, why."""

    kind: RequestKind = "viewing"
    site_id: Slug | None = None
    requester: Text
    """The requester's role (the data subject, a parent, an agent)."""
    relation: Text
    """정보주체와의 관계 (self, parent, legal representative)."""
    camera_ids: tuple[Slug, ...] = ()
    places: Text | None = None
    """설치장소, in the requester's words."""
    footage_from: AwareDatetime
    footage_until: AwareDatetime
    purpose: Text
    received_at: AwareDatetime

    @field_validator("footage_from", "footage_until", "received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _period(self) -> RequestDraft:
        if self.footage_until < self.footage_from:
            raise ValueError("footage_until is before footage_from")
        if not self.camera_ids and self.places is None:
            raise ValueError("name the cameras or the places of the footage")
        return self


class Answer(Model):
    """The answer to a request. A refusal (or partial grant) states its reason
    in writing (Standard Guidelines: notified within 10 days with the reason)."""

    outcome: Outcome
    answered_at: AwareDatetime
    handler: Text
    reason: Text | None = None
    form_of_use: Text = "viewing on site"
    """How footage was shown or given (viewing, copy on USB...)."""

    @model_validator(mode="after")
    def _reason(self) -> Answer:
        if self.outcome in ("refused", "partly") and self.reason is None:
            raise ValueError(f"a {self.outcome} answer needs its reason in writing")
        return self


class AccessRequest(Model):
    id: int = Field(ge=1)
    policy_id: Slug
    request: RequestDraft
    deadline: AwareDatetime
    """Exclusive: the answer is due before this instant (see ``request_deadline``)."""
    state: RequestState
    answer: Answer | None = None
    closed_at: AwareDatetime | None = None
    register_numbers: tuple[int, ...] = ()
    """Register entries this request created (a granted viewing)."""


ItemStatus = Literal["done", "not-done", "not-applicable", "needs-person"]
"""조치 (있음) / 미조치 (없음) / 해당 없음 — and what software cannot tell."""


class ChecklistItem(Model):
    no: int = Field(ge=1, le=9)
    text_ko: str
    text_en: str
    status: ItemStatus
    evidence: tuple[str, ...] = ()
    """Links to the evidence: ``finding:<rule>@<site>/<subject>``,
    ``register:<number>``, ``request:<id>``."""
    note: str = ""


class Checklist(Model):
    policy_id: Slug
    organisation: str
    period_from: date
    period_until: date
    generated_at: AwareDatetime
    due: date
    """When this half-year's inspection is due (March and September, seed 004)."""
    items: tuple[ChecklistItem, ...]
    register_head: Sha256


class RegisterPage(Model):
    """GET /api/v1/register: a page of entries and the whole chain's verification."""

    items: tuple[RegisterEntry, ...]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)
    verify: VerifyResult


class RequestsView(Model):
    """GET /api/v1/requests: the requests and what their deadlines raise now."""

    items: tuple[AccessRequest, ...]
    findings: tuple[Finding, ...] = ()


class ChecklistView(Model):
    """GET /api/v1/checklist: the current half-year's checklist, filled now."""

    checklist: Checklist
    last_completed: AwareDatetime | None = None
    findings: tuple[Finding, ...] = ()
