"""The controller's tables (SQLAlchemy Core). The migrations in
``controller/migrations`` create exactly these; a test holds them equal.

Current state and history are kept apart: ``observations`` holds the latest
observation per device, ``observation_changes`` a row only when a device's
facts changed (an identical heartbeat adds nothing). ``findings`` holds one
row per (site, subject, rule) while it is live; a resolved finding that
returns is reopened, and ``finding_events`` keeps the story.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from controller.store.types import JSON_DOC, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")
"""Auto-increment ids: BIGINT on PostgreSQL, INTEGER (rowid) on SQLite."""

policies = Table(
    "policies",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("version", Text, nullable=False),
    Column("body", JSON_DOC, nullable=False),
    Column("loaded_at", UtcDateTime, nullable=False),
)

agents = Table(
    "agents",
    metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False, index=True),
    Column("session_id", String(32), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("interval_s", Float, nullable=True),
    Column("birth", JSON_DOC, nullable=True),
)

observations = Table(
    "observations",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("address", String(300), primary_key=True),
    Column("camera_id", String(64), nullable=True),
    Column("agent_id", String(64), nullable=False),
    Column("report_id", String(32), nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
    Column("reachable", Boolean, nullable=False),
    Column("facts_hash", String(64), nullable=False),
    Column("body", JSON_DOC, nullable=False),
)

observation_changes = Table(
    "observation_changes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", String(64), nullable=False),
    Column("address", String(300), nullable=False),
    Column("report_id", String(32), nullable=False),
    Column("observed_at", UtcDateTime, nullable=False),
    Column("body", JSON_DOC, nullable=False),
    Index(None, "site_id", "address", "observed_at"),
)

ingested_reports = Table(
    "ingested_reports",
    metadata,
    Column("report_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("site_id", String(64), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)

cycles = Table(
    "cycles",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("cycle_id", String(32), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("addresses", JSON_DOC, nullable=False),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", String(64), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("evidence", JSON_DOC, nullable=False),
    Column("camera_id", String(64), nullable=True),
    Column("address", String(300), nullable=True),
    Column("agent_id", String(64), nullable=True),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("opened_at", UtcDateTime, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=True),
    Column("escalated_at", UtcDateTime, nullable=True),
    Index(None, "site_id", "state"),
    Index(
        "uq_findings_live",
        "site_id",
        "subject",
        "rule",
        unique=True,
        postgresql_where=text("state <> 'resolved'"),
        sqlite_where=text("state <> 'resolved'"),
    ),
)

LIVE_WHERE = text("state <> 'resolved'")
"""The predicate of ``uq_findings_live``; ON CONFLICT must repeat it."""

finding_events = Table(
    "finding_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("finding_id", Id, ForeignKey("findings.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("summary", Text, nullable=False),
    Column("by", String(100), nullable=True),
    Column("note", Text, nullable=True),
    Column("severity", String(16), nullable=True),
    Index(None, "finding_id"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("topic", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

agent_policies = Table(
    "agent_policies",
    metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("site_id", String(64), nullable=False),
    Column("policy_id", String(64), nullable=False),
    Column("policy_version", Text, nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Index(None, "policy_id"),
)
"""The policy version each agent last said its findings were computed with
(``schemas.api.AgentPolicyView``); newest report wins."""

alerts = Table(
    "alerts",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("alert_id", String(32), nullable=False, unique=True),
    Column("site_id", String(64), nullable=False),
    Column("camera_key", String(300), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("body", JSON_DOC, nullable=False),
)
"""The alert outbox (``schemas.messages.AlertMessage`` JSON), written in the
same transaction as the finding change it announces; ``seq`` orders delivery."""

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", String(32), primary_key=True),
    Column("target", String(200), primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)
"""Per alert and target (``mqtt`` or a webhook's name): delivered, failed
(gave up) or skipped (below the target's minimum severity). A row here means
the alert is never sent to that target again."""

judged_sites = Table(
    "judged_sites",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("judge_key", String(64), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)
"""Per site, the reconciler's memo of judged observations
(``controller.reconcile.stored``) under the policy and code ``judge_key``
names: a cache a restarted controller reads instead of judging the fleet
again. Losing it costs time, never a finding."""

site_stamps = Table(
    "site_stamps",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("facts", BigInteger, nullable=False),
    Column("seen", BigInteger, nullable=False),
    Column("seen_at", UtcDateTime, nullable=True),
)
"""Per site, counters the ingest moves in the transaction of its writes
(``controller.store.settled``): ``facts`` for every write that can change
a verdict (a report, a cycle, an agent's birth or death), ``seen`` for
heartbeats, which only move observations' times forward (``seen_at``: the
newest time they moved one to). Equal counters mean nothing was written
for the site since they were read, whoever wrote (any replica)."""

settled_sites = Table(
    "settled_sites",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("settled_key", String(64), nullable=False),
    Column("facts", BigInteger, nullable=False),
    Column("seen", BigInteger, nullable=False),
    Column("holds_until", UtcDateTime, nullable=True),
    Column("agent", Text, nullable=True),
    Column("heartbeats_safe", Boolean, nullable=False),
    Column("cycle_at", UtcDateTime, nullable=True),
    Column("view", Text, nullable=False),
    Column("view_at", UtcDateTime, nullable=False),
    Column("stale_at", UtcDateTime, nullable=True),
    Column("movable", Boolean, nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
)
"""Per site, the reconciler's last verdict as settled (``controller.settled``):
the stamps it was judged at, until when it holds by the clock, and the
site's summary. A restarted reconciler reads it instead of judging sites
nothing was written for. Losing it costs time, never a finding."""

# The register's tables (migration 0003_register) are defined next to the
# register but on this metadata; importing them here keeps it complete.
from controller.register import tables as _register_tables  # noqa: E402, F401
