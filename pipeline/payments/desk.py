"""The payments desk: what waits for staff, who a deposit may be from, finding applications.

``score_candidates`` is pure: it ranks applications for one transfer name by
three kinds of evidence, each worth points and each said in words:

- the transfer name's four digits equal the pass number's last four (50);
- the transfer name against the applicant's kana name (form A, the register):
  up to 50, by similarity, from 60 % up;
- a company's transfer name against the applicant's employers (form B): up to
  40, by similarity, from 70 % up.

An application whose fee is already covered loses 15 points (it may still be
the payer's, a second payment, but it is the less likely reading). The score
is 0–100 and only orders the list: the desk never assigns money by itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from pipeline.payments.names import ParsedPayer, employer_key, name_key, parse_payer
from pipeline.storage.models import (
    Applicant,
    Application,
    BankTransaction,
    FieldValue,
    PaymentMatch,
    RegistryEntry,
)
from pipeline.vocabulary import COUNTED_MATCHES, MatchStatus, TransactionStatus

SUFFIX_POINTS = 50.0
NAME_WEIGHT = 0.5
NAME_MIN = 60.0
EMPLOYER_WEIGHT = 0.4
EMPLOYER_MIN = 70.0
PAID_PENALTY = 15.0
MAX_CANDIDATES = 30
SEARCH_LIMIT = 60
#: Deposits a person still has to place: the matcher's open states and a split in progress.
DESK_STATES = (
    TransactionStatus.UNMATCHED.value,
    TransactionStatus.PROPOSED.value,
    TransactionStatus.REVIEW.value,
    TransactionStatus.BULK.value,
    TransactionStatus.SPLITTING.value,
)
_ORG_FIELD = re.compile(r"exp\d+_org")
_TOKEN_SPLIT = re.compile(r"[\s,、，]+")


@dataclass(frozen=True)
class DeskApplication:
    """An application as the desk shows it."""

    id: int
    pass_number: str
    name: str | None
    kana: tuple[str, ...]
    employers: tuple[str, ...]
    qualification: str | None
    payment_status: str
    paid_yen: int
    decision: str | None = None

    @property
    def suffix(self) -> str:
        digits = "".join(c for c in self.pass_number if c.isdigit())
        return digits[-4:]

    def owed_yen(self, fee_yen: int) -> int:
        return max(0, fee_yen - self.paid_yen)


@dataclass(frozen=True)
class ScoredCandidate:
    application: DeskApplication
    score: int
    reasons: tuple[str, ...]


def _best(key: str, others: Iterable[str], make_key) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    best, which = 0.0, ""
    for other in others:
        other_key = make_key(other)
        if key and other_key:
            score = float(fuzz.ratio(key, other_key))
            if score > best:
                best, which = score, other
    return best, which


def score_one(payer: ParsedPayer, app: DeskApplication, fee_yen: int) -> ScoredCandidate | None:
    """One application's score for a transfer name, with the reasons; None if nothing fits."""
    points = 0.0
    reasons: list[str] = []
    evidence = False
    if app.suffix and app.suffix in payer.suffixes:
        points += SUFFIX_POINTS
        evidence = True
        reasons.append(f"振込名義の数字「{app.suffix}」が合格者番号の下4桁と一致")
    name_score, kana = _best(payer.name_key, app.kana, name_key)
    if name_score >= NAME_MIN:
        points += name_score * NAME_WEIGHT
        evidence = True
        reasons.append(f"振込名義と氏名カナ「{kana}」の一致度 {name_score:.0f}%")
    if payer.is_company:
        employer_score, employer = _best(payer.name_key, app.employers, employer_key)
        if employer_score >= EMPLOYER_MIN:
            points += employer_score * EMPLOYER_WEIGHT
            evidence = True
            reasons.append(f"法人名義と勤務先「{employer}」の一致度 {employer_score:.0f}%")
    if not evidence:
        return None
    if app.paid_yen >= fee_yen:
        points -= PAID_PENALTY
        reasons.append(f"手数料はすでに入金済み（{app.paid_yen:,}円）")
    return ScoredCandidate(app, max(0, min(100, round(points))), tuple(reasons))


def score_candidates(
    payer_raw: str, applications: Sequence[DeskApplication], fee_yen: int
) -> list[ScoredCandidate]:
    """The applications a transfer name may pay for, best first (see the module docstring)."""
    payer = parse_payer(payer_raw)
    scored = [c for a in applications if (c := score_one(payer, a, fee_yen)) is not None]
    scored.sort(key=lambda c: (-c.score, c.application.id))
    return scored[:MAX_CANDIDATES]


# --- loading ---------------------------------------------------------------------------


def net_paid_by_application(
    session: Session, app_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Counted payments less refunds, per application."""
    stmt = select(PaymentMatch.application_id, PaymentMatch.amount_yen, PaymentMatch.status).where(
        PaymentMatch.application_id.is_not(None),
        PaymentMatch.status.in_([*COUNTED_MATCHES, MatchStatus.REFUND.value]),
    )
    if app_ids is not None:
        stmt = stmt.where(PaymentMatch.application_id.in_(list(app_ids)))
    paid: dict[int, int] = defaultdict(int)
    for app_id, amount, status in session.execute(stmt):
        paid[app_id] += -amount if status == MatchStatus.REFUND.value else amount
    return dict(paid)


def load_desk_applications(
    session: Session, app_ids: Iterable[int] | None = None
) -> list[DeskApplication]:
    """Applications with their names, kana, employers (form B) and what they have paid."""
    stmt = (
        select(Application, Applicant.name, Applicant.kana, RegistryEntry.kana, RegistryEntry.name)
        .outerjoin(Applicant, Applicant.id == Application.applicant_id)
        .outerjoin(RegistryEntry, RegistryEntry.pass_number == Application.pass_number)
        .order_by(Application.id)
    )
    wanted = None if app_ids is None else list(app_ids)
    if wanted is not None:
        stmt = stmt.where(Application.id.in_(wanted))
    employers: dict[int, list[str]] = defaultdict(list)
    org_stmt = select(FieldValue.application_id, FieldValue.name, FieldValue.value).where(
        FieldValue.form_code == "B", FieldValue.value.is_not(None)
    )
    if wanted is not None:
        org_stmt = org_stmt.where(FieldValue.application_id.in_(wanted))
    for app_id, field_name, value in session.execute(org_stmt):
        known = employers[app_id]
        if _ORG_FIELD.fullmatch(field_name) and value.strip() and value not in known:
            known.append(value)
    paid = net_paid_by_application(session, wanted)
    return [
        DeskApplication(
            id=app.id,
            pass_number=app.pass_number or "",
            name=name or register_name,
            kana=tuple(k for k in (kana, register_kana) if k),
            employers=tuple(employers.get(app.id, ())),
            qualification=app.qualification,
            payment_status=app.payment_status,
            paid_yen=paid.get(app.id, 0),
            decision=app.decision,
        )
        for app, name, kana, register_kana, register_name in session.execute(stmt)
    ]


def deposit_candidates(
    session: Session, txn: BankTransaction, fee_yen: int
) -> list[ScoredCandidate]:
    return score_candidates(txn.payer_raw, load_desk_applications(session), fee_yen)


def _waiting_deposits() -> ColumnElement[bool]:
    return (BankTransaction.deposit_yen > 0) & BankTransaction.status.in_(DESK_STATES)


def desk_deposits(
    session: Session, *, offset: int = 0, limit: int | None = None
) -> list[BankTransaction]:
    """Deposits waiting for a person, oldest first (``limit`` of them from ``offset``)."""
    stmt = (
        select(BankTransaction)
        .where(_waiting_deposits())
        .order_by(BankTransaction.booked_on, BankTransaction.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_desk_deposits(session: Session) -> int:
    stmt = select(func.count()).select_from(BankTransaction).where(_waiting_deposits())
    return int(session.scalar(stmt) or 0)


# --- search -------------------------------------------------------------------------------


def _text_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("　", "").casefold()


def _token_hits(token: str, app: DeskApplication) -> bool:
    if token.startswith("#") and token[1:].isdigit():
        return app.id == int(token[1:])
    if token.isdigit():
        if len(token) < 4:
            return app.id == int(token)
        return token in app.pass_number
    key = _text_key(token)
    kana_key = name_key(token)
    texts = [app.name or "", *app.employers]
    if any(key in _text_key(t) for t in texts if t):
        return True
    if kana_key and any(kana_key in name_key(k) for k in app.kana):
        return True
    return bool(kana_key) and any(kana_key in employer_key(e) for e in app.employers)


def search_applications(
    applications: Sequence[DeskApplication], query: str
) -> list[DeskApplication]:
    """Applications any word of ``query`` finds: ``#12`` or up to three digits (application
    number), four or more digits (in the pass number: the last four, or all ten), or text
    (in the name, the kana or an employer). Several words find all their matches together,
    so ``0123 0456 0789`` finds three applications at once."""
    tokens = [t for t in _TOKEN_SPLIT.split(unicodedata.normalize("NFKC", query or "")) if t]
    if not tokens:
        return []
    found = [a for a in applications if any(_token_hits(t, a) for t in tokens)]
    return found[:SEARCH_LIMIT]
