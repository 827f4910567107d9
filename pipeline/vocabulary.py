"""The domain's vocabulary: every status a record, a match or a decision can have.

One enum per column or result that holds a status. The values are what the
database stores (plain strings, portable across SQLite and PostgreSQL) and what
JSON outputs show; a ``StrEnum`` member equals its string, so rows read back
compare with the members directly. This module imports nothing of the project:
the rules and the payment matcher use it without touching the database models,
which import it for their column defaults.
"""

from __future__ import annotations

import enum


class StrEnum(enum.StrEnum):
    """A vocabulary stored as plain strings."""


# --- people and runs ----------------------------------------------------------------


class Role(StrEnum):
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # killed, or stopped by a signal before it finished


class RunKind(StrEnum):
    NIGHTLY = "nightly"


class RunTrigger(StrEnum):
    """What started a run."""

    MANUAL = "manual"  # `conken run` (or the flow called directly)
    SCHEDULE = "schedule"  # the Cron schedule of `conken serve`
    DEPLOYMENT = (
        "deployment"  # a person started the served deployment (UI, `prefect deployment run`)
    )


# --- envelopes, pages, fields ----------------------------------------------------------


class EnvelopeStatus(StrEnum):
    RECEIVED = "received"  # archived, not yet extracted
    EXTRACTED = "extracted"
    UNIDENTIFIED = "unidentified"  # read, but no page is one of our forms: no application
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"  # the applicant sent a newer submission; the newer one is decided
    QUARANTINED = "quarantined"
    FAILED = "failed"  # extraction raised; an exception item says why


class PageKind(StrEnum):
    """What a stored page is (``pages.status``)."""

    FORM = "form"  # identified and aligned
    EXTRA = "extra"  # no marks, no QR: not one of our forms (cover letter)
    UNIDENTIFIED = "unidentified"  # looks like our form, but which one is unknown
    UNALIGNED = "unaligned"  # identified, but no trustworthy alignment


class ApplicationStatus(StrEnum):
    NEW = "new"
    EXTRACTED = "extracted"


class FieldStatus(StrEnum):
    OK = "ok"
    LOW_CONFIDENCE = "low_confidence"
    INVALID = "invalid"
    MISSING = "missing"
    CORRECTED = "corrected"  # a person typed a value; needs confirmation to count
    CONFIRMED = "confirmed"  # a person or an independent source confirmed it


# A value counts (for the rules, the reports and the screens) only in these states.
CONFIDENT: frozenset[FieldStatus] = frozenset({FieldStatus.OK, FieldStatus.CONFIRMED})


class CrossCheckOutcome(StrEnum):
    """The exam report, form A and the passers register compared, item by item."""

    AGREE = "agree"
    MISMATCH = "mismatch"
    REGISTER_MISSING = "register_missing"


# --- review queue ----------------------------------------------------------------------


class ExceptionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    MOOT = "moot"  # closed by itself: the decision became final, so the item no longer matters


OPEN_EXCEPTION_STATES: tuple[ExceptionStatus, ...] = (
    ExceptionStatus.OPEN,
    ExceptionStatus.IN_PROGRESS,
)


class Severity(StrEnum):
    INFO = "info"  # data clean-up; never blocks a decision
    NORMAL = "normal"
    HIGH = "high"  # blocks a decision


# --- rules and decisions -----------------------------------------------------------------


class DecisionOutcome(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE_PROPOSED = "ineligible_proposed"
    PENDING = "pending"
    REVIEW = "review"
    NOT_REQUIRED = "not_required"  # SV / OP / EN: exam pass alone grants it
    APPROVED = "approved"  # confirmed by a person (or straight-through)
    REJECTED = "rejected"  # confirmed by a person
    WITHDRAWN = "withdrawn"  # the applicant withdrew (a letter, a call); recorded by staff
    SUPERSEDED = (
        "superseded"  # a newer envelope of the same applicant and qualification replaced it
    )


FINAL_DECISIONS: tuple[DecisionOutcome, ...] = (
    DecisionOutcome.APPROVED,
    DecisionOutcome.REJECTED,
    DecisionOutcome.WITHDRAWN,
    DecisionOutcome.SUPERSEDED,
)


class FindingOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"
    NOT_APPLICABLE = "not_applicable"


# --- payments ----------------------------------------------------------------------------


class PaymentOutcome(StrEnum):
    """An application's fee, as the payments stage sees it (``applications.payment_status``)."""

    PAID = "paid"
    UNPAID = "unpaid"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    DUPLICATE = "duplicate"  # paid in full, then paid again: paid, a deposit to refund
    BULK = "bulk"
    REVIEW = "review"


class MatchOutcome(StrEnum):
    """What one deposit did to an application (``payment_matches.outcome``)."""

    PAID = "paid"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    DUPLICATE = "duplicate"  # came after the fee was covered
    BULK = "bulk"
    REVIEW = "review"
    REFUND = "refund"
    UNMATCHED = "unmatched"  # no application (no row is stored)


class MatchStatus(StrEnum):
    PROPOSED = "proposed"  # needs a person
    ACCEPTED = "accepted"  # accepted by a rule with enough evidence
    CONFIRMED = "confirmed"  # confirmed by a person
    REJECTED = "rejected"
    REFUND = "refund"


class MatchRule(StrEnum):
    """Why a deposit went to an application (``payment_matches.rule``): the matcher's
    rules, then what a person did on the payments desk."""

    SUFFIX_NAME = "suffix+name"
    SUFFIX_NAME_AMBIGUOUS = "suffix+name_ambiguous"
    SUFFIX_CONFLICT = "suffix_conflict"
    SUFFIX_EMPLOYER = "suffix+employer"
    SUFFIX_ONLY = "suffix_only"
    SUFFIX_AMBIGUOUS = "suffix_ambiguous"
    NAME_ONLY = "name_only"
    NAME_ONLY_AMBIGUOUS = "name_only_ambiguous"
    EMPLOYER_ONLY = "employer_only"
    BULK_COMPANY = "bulk_company"
    ALIAS = "alias"  # a payer name staff confirmed for the applicant before
    NONE = "none"  # nothing fits: no row is stored, the review item says so
    MANUAL = "manual"
    MANUAL_SPLIT = "manual_split"
    MANUAL_REFUND = "manual_refund"


# Rules whose match a person made or confirmed before: their score measures nothing.
UNSCORED_RULES: tuple[MatchRule, ...] = (
    MatchRule.MANUAL,
    MatchRule.MANUAL_SPLIT,
    MatchRule.MANUAL_REFUND,
    MatchRule.ALIAS,
)


# Matches whose amount counts towards an application's fee.
COUNTED_MATCHES: tuple[MatchStatus, ...] = (MatchStatus.ACCEPTED, MatchStatus.CONFIRMED)


class TransactionStatus(StrEnum):
    """Where a bank transaction stands (``bank_transactions.status``)."""

    UNMATCHED = "unmatched"
    PROPOSED = "proposed"  # a match waits for a person
    REVIEW = "review"  # several applications fit: a person chooses
    BULK = "bulk"  # a company paid for several: a person splits it
    SPLITTING = "splitting"  # staff are placing it part by part; the run leaves it to them
    MATCHED = "matched"
    REFUND = "refund"
    WITHDRAWAL = "withdrawal"  # money out: never matched


OPEN_TRANSACTION_STATES: tuple[TransactionStatus, ...] = (
    TransactionStatus.UNMATCHED,
    TransactionStatus.PROPOSED,
    TransactionStatus.REVIEW,
    TransactionStatus.BULK,
)
