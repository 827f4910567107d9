"""The database schema: one ORM class per table.

Conventions: ids are integers; timestamps are timezone-aware UTC
(``UTCDateTime``); business dates (received, booked, valid from/to) are plain
``Date`` in Asia/Tokyo; money is an integer number of yen; anything a person
may edit concurrently carries a ``version`` column used for optimistic locking.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pipeline.storage.types import JSONType, UTCDateTime, utcnow
from pipeline.vocabulary import (
    OPEN_EXCEPTION_STATES,
    ApplicationStatus,
    CrossCheckOutcome,
    DecisionOutcome,
    EnvelopeStatus,
    ExceptionStatus,
    FieldStatus,
    FindingOutcome,
    MatchOutcome,
    MatchStatus,
    PageKind,
    PaymentOutcome,
    Role,
    RunKind,
    RunStatus,
    RunTrigger,
    Severity,
    StrEnum,
    TransactionStatus,
)

# The vocabulary lives in pipeline.vocabulary; its names stay importable from here.
__all__ = [
    "Applicant",
    "Application",
    "ApplicationStatus",
    "AuditEvent",
    "BankTransaction",
    "Base",
    "CertificateSequence",
    "CrossCheckOutcome",
    "Decision",
    "DecisionOutcome",
    "Envelope",
    "EnvelopeStatus",
    "ExceptionStatus",
    "FieldStatus",
    "FieldValue",
    "FindingOutcome",
    "ItemPresence",
    "Letter",
    "MatchOutcome",
    "MatchStatus",
    "Page",
    "PageKind",
    "PayerAlias",
    "PaymentMatch",
    "PaymentOutcome",
    "RegistryEntry",
    "ReviewItem",
    "Role",
    "RuleFinding",
    "RuleRuling",
    "Run",
    "RunKind",
    "RunLock",
    "RunStatus",
    "RunTrigger",
    "Severity",
    "StatementImport",
    "StrEnum",
    "TransactionStatus",
    "User",
    "WebSession",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- people and runs ----------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.STAFF.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Run(Base):
    """One execution of the nightly flow (or of one stage from the CLI)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default=RunKind.NIGHTLY.value)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING.value)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(32), default=RunTrigger.MANUAL.value)
    prefect_flow_run_id: Mapped[str | None] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(128))
    pid: Mapped[int | None] = mapped_column(Integer)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    report_path: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(Text)


class RunLock(Base):
    """A named lock held in the database so that two runs never overlap."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- envelopes, pages, fields -------------------------------------------------


class Envelope(Base):
    """One scanned file as received; the original is archived under its hash."""

    __tablename__ = "envelopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # The inbox file's mtime: tells a leftover (crash before the inbox file was
    # removed) from the same scan delivered twice.
    source_mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    media_type: Mapped[str | None] = mapped_column(String(64))
    archive_path: Mapped[str | None] = mapped_column(String(512))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=EnvelopeStatus.RECEIVED.value)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    extra_pages: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    missing_forms: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    pages: Mapped[list[Page]] = relationship(
        back_populates="envelope", order_by="Page.page_index", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One non-duplicate envelope per hash; duplicates point at the first.
        Index(
            "uq_envelopes_sha256_original",
            "sha256",
            unique=True,
            sqlite_where=duplicate_of_id.is_(None),
            postgresql_where=duplicate_of_id.is_(None),
        ),
    )


class Page(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id", ondelete="CASCADE"))
    page_index: Mapped[int] = mapped_column(Integer)  # 0-based position in the file
    form_code: Mapped[str | None] = mapped_column(String(32))  # None: unidentified
    form_page: Mapped[int | None] = mapped_column(Integer)
    template_version: Mapped[str | None] = mapped_column(String(16))
    identified_by: Mapped[str | None] = mapped_column(String(16))  # qr / title_ocr
    orientation: Mapped[int] = mapped_column(Integer, default=0)  # degrees turned upright
    alignment_method: Mapped[str | None] = mapped_column(String(16))  # aruco / features
    alignment_residual_mm: Mapped[float | None] = mapped_column(Float)
    image_path: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default=PageKind.FORM.value)
    note: Mapped[str | None] = mapped_column(Text)

    envelope: Mapped[Envelope] = relationship(back_populates="pages")

    __table_args__ = (UniqueConstraint("envelope_id", "page_index"),)


class Applicant(Base):
    __tablename__ = "applicants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    kana: Mapped[str | None] = mapped_column(String(128), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Application(Base):
    """One application for certification, made from one envelope."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id"), unique=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("applicants.id"))
    qualification: Mapped[str | None] = mapped_column(String(8))
    pass_number: Mapped[str | None] = mapped_column(String(10), index=True)
    received_on: Mapped[date] = mapped_column(Date)  # from the envelope's arrival
    received_on_override: Mapped[date | None] = mapped_column(Date)  # e.g. the postmark
    status: Mapped[str] = mapped_column(String(24), default=ApplicationStatus.NEW.value)
    payment_status: Mapped[str] = mapped_column(String(16), default=PaymentOutcome.UNPAID.value)
    decision: Mapped[str | None] = mapped_column(String(24))
    certificate_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    fields: Mapped[list[FieldValue]] = relationship(back_populates="application")

    __mapper_args__ = {"version_id_col": version}

    @property
    def effective_received_on(self) -> date:
        return self.received_on_override or self.received_on


class FieldValue(Base):
    """One extracted field: value, raw OCR text, confidence, status and crop."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    envelope_id: Mapped[int] = mapped_column(ForeignKey("envelopes.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    form_code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))  # the template's field name
    row_index: Mapped[int | None] = mapped_column(Integer)  # table rows (B, C)
    kind: Mapped[str] = mapped_column(String(16))
    decides: Mapped[bool] = mapped_column(Boolean, default=True)  # decision-critical
    value: Mapped[str | None] = mapped_column(Text)  # current (normalised) value
    ocr_value: Mapped[str | None] = mapped_column(Text)  # what extraction produced
    raw_text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=FieldStatus.MISSING.value)
    reason: Mapped[str | None] = mapped_column(Text)  # why not ok
    confirmed_by: Mapped[str | None] = mapped_column(String(64))  # register / form:A / user:3
    # What extraction saw: each engine's reading, the handwriting score, a mark's ink.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    crop_path: Mapped[str | None] = mapped_column(String(512))
    version: Mapped[int] = mapped_column(Integer, default=1)

    application: Mapped[Application | None] = relationship(back_populates="fields")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("envelope_id", "form_code", "name", "row_index", "page_id"),)


class RegistryEntry(Base):
    """One line of the exam administrator's passers register."""

    __tablename__ = "registry_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_number: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kana: Mapped[str] = mapped_column(String(128))
    exam_type: Mapped[str] = mapped_column(String(8))
    exam_date: Mapped[date | None] = mapped_column(Date)
    issue_date: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(8))
    source_file: Mapped[str | None] = mapped_column(String(512))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- payments -------------------------------------------------------------------


class StatementImport(Base):
    __tablename__ = "statement_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_name: Mapped[str] = mapped_column(String(512))
    profile: Mapped[str] = mapped_column(String(32))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class BankTransaction(Base):
    __tablename__ = "bank_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_key: Mapped[str] = mapped_column(String(64), unique=True)
    booked_on: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str | None] = mapped_column(String(128))  # 摘要
    payer_raw: Mapped[str] = mapped_column(String(256))  # 摘要内容 as the bank wrote it
    payer_normalized: Mapped[str] = mapped_column(String(256), index=True)
    pass_suffix: Mapped[str | None] = mapped_column(String(4), index=True)
    deposit_yen: Mapped[int] = mapped_column(Integer, default=0)
    withdrawal_yen: Mapped[int] = mapped_column(Integer, default=0)
    balance_yen: Mapped[int | None] = mapped_column(Integer)
    memo: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=TransactionStatus.UNMATCHED.value)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("statement_imports.id"))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PaymentMatch(Base):
    """A link between a deposit and an application, with the evidence for it."""

    __tablename__ = "payment_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("bank_transactions.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    rule: Mapped[str] = mapped_column(String(48))
    score: Mapped[float] = mapped_column(Float)
    candidates: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    amount_yen: Mapped[int] = mapped_column(Integer)  # the part of the deposit applied
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=MatchStatus.PROPOSED.value)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class PayerAlias(Base):
    """A payer name staff confirmed for an application's applicant."""

    __tablename__ = "payer_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    payer_normalized: Mapped[str] = mapped_column(String(256), index=True)
    pass_number: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("payer_normalized", "pass_number"),)


# --- rules, decisions, review -------------------------------------------------------


class RuleFinding(Base):
    __tablename__ = "rule_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    evaluation_id: Mapped[str] = mapped_column(String(36), index=True)
    rule_id: Mapped[str] = mapped_column(String(48))
    outcome: Mapped[str] = mapped_column(String(16))
    message_ja: Mapped[str] = mapped_column(Text)
    manual_section: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ruleset_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # computed figures (months, thresholds, differences) behind the message
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, default=dict)
    # the letter staff should send because of this finding (missing_documents, ...)
    letter_kind: Mapped[str | None] = mapped_column(String(32))


class RuleRuling(Base):
    """A person's ruling on a finding only a person can judge (認める / 認めない).

    Keyed by the rule and a fingerprint of the facts judged (``key``): the rules apply
    it only while the finding's facts still give the same key. Rows are never updated;
    a later ruling on the same key replaces an earlier one.
    """

    __tablename__ = "rule_rulings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[str] = mapped_column(String(48))
    key: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    # what was judged, as the finding showed it (kept so the ruling reads on its own)
    judged: Mapped[Any] = mapped_column(JSONType, default=list)
    facts_ja: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))  # "user:3"
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    evaluation_id: Mapped[str | None] = mapped_column(String(36))
    outcome: Mapped[str] = mapped_column(String(24))
    ruleset_version: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(64), default="system")
    reason: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class CertificateSequence(Base):
    """Gap-free certificate numbering per qualification and year."""

    __tablename__ = "certificate_sequences"

    qualification: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class ReviewItem(Base):
    """An exception in the review queue.

    ``dedupe_key`` names what the item is about (e.g. ``field:12``) so that a
    re-run updates the open item instead of opening a second one.
    """

    __tablename__ = "exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    severity: Mapped[str] = mapped_column(String(8), default=Severity.NORMAL.value)
    status: Mapped[str] = mapped_column(String(16), default=ExceptionStatus.OPEN.value, index=True)
    dedupe_key: Mapped[str] = mapped_column(String(128))
    title_ja: Mapped[str] = mapped_column(String(256))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id"))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transactions.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index(
            "uq_exceptions_open_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=status.in_([s.value for s in OPEN_EXCEPTION_STATES]),
            postgresql_where=status.in_([s.value for s in OPEN_EXCEPTION_STATES]),
        ),
    )


class Letter(Base):
    """A letter to an applicant (missing documents, underpayment, ...)."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    body_ja: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Who changed what, when, from what to what, and why."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "system", "run:12", "user:3"
    action: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


# --- review app ---------------------------------------------------------------------


class WebSession(Base):
    """A signed-in (or not yet signed-in) browser session of the review app.

    The cookie carries a random token; only its SHA-256 is stored, so a copy
    of the database does not let anyone sign in. A new row (a new token) is
    made at log-in, so a session id planted before log-in is worthless after.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    flash: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)


class ItemPresence(Base):
    """Who has a review item open right now (refreshed by the page's heartbeat)."""

    __tablename__ = "item_presence"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("exceptions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
