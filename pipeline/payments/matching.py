"""Matching deposits to applications: pure, deterministic, explainable.

Input: the applications (pass number, katakana names from form A and the
register, employer if known), the open deposits, staff-confirmed aliases and
the payments already applied in earlier runs. Output: one ``MatchResult`` per
deposit with the rule that decided it, the score and every candidate
considered, plus each application's payment status. Nothing here touches a
database or the clock, so the same input always gives the same output (the
order of the deposits does not matter).

Applications are indexed by the last four digits of the pass number and by
blocks of their name key (first two and last two characters), so a deposit is
compared only with the applications sharing its digits or a name block, never
with all of them. (A name that differs from the applicant's in both its first
two and its last two characters is therefore not found by name; at the
thresholds used that is a name that would not have matched anyway.)

Rules (``vocabulary.MatchRule``; people read them as ``names_ja.MATCH_RULE_JA``),
in the order they are tried for a deposit:

``bulk_company``
    company marker (カ) …) and amount n × fee, n ≥ 2 → ``bulk``, proposed,
    for staff to split; applications whose digits or employer appear are listed.
``alias``
    the payer name was confirmed by staff for a pass number before, that
    pass number has an application, and any digits on the payment agree
    → accepted.
``suffix+name``
    the digits point at exactly one application whose name scores at least
    ``name_min_score`` → accepted (four digits alone are never enough).
``suffix+name_ambiguous``
    several applications share the digits and fit the name → review.
``suffix_conflict``
    the digits point at one applicant while the name fits another → review.
``suffix+employer``
    a company paid with one applicant's digits and its name is that
    applicant's employer → proposed.
``suffix_only``
    the digits point at exactly one application, the name fits nobody →
    proposed.
``suffix_ambiguous``
    the digits point at several applications, the name fits none → review.
``name_only``
    no usable digits; exactly one application's name scores at least
    ``name_only_min_score`` and no other reaches ``name_min_score`` →
    proposed (our reading of "never silently accepted below a high score": a
    payment without digits is never accepted by a rule, only proposed).
``name_only_ambiguous``
    no usable digits, several or only weaker name matches → review.
``employer_only``
    a company without digits whose name is some applicants' employer → review.
``none``
    nothing fits → unmatched (kept and retried on every run).

Amounts, for an application's accepted payments in date order: exactly the
remaining fee → ``paid``; less → ``underpaid`` (e.g. 10,560 with the transfer
fee deducted); more → ``overpaid``; anything after the fee was covered →
``duplicate``. An application's status is ``duplicate`` when it was paid in full
and paid again: it is paid (the rules accept it), and the later deposit is one for
the payments desk to refund.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pipeline.payments.index import ApplicationIndex
from pipeline.payments.names import ParsedPayer, parse_payer
from pipeline.vocabulary import (
    COUNTED_MATCHES,
    MatchOutcome,
    MatchRule,
    MatchStatus,
    PaymentOutcome,
)

AppId = Hashable
UNMATCHED = MatchOutcome.UNMATCHED.value
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class ApplicationRecord:
    """An application as matching sees it."""

    id: AppId
    pass_number: str
    kana: tuple[str, ...]
    employer: str | None = None

    @property
    def suffix(self) -> str:
        digits = "".join(c for c in self.pass_number if "0" <= c <= "9")
        return digits[-4:]


@dataclass(frozen=True)
class Deposit:
    """A deposit to match; ``ref`` is the transaction id (DB) or key (files)."""

    ref: Hashable
    booked_on: date
    amount_yen: int
    payer_raw: str


@dataclass(frozen=True)
class AppliedPayment:
    """A payment stored by an earlier run or by staff (accepted, confirmed or refund)."""

    application_id: AppId
    amount_yen: int
    outcome: str
    status: str


@dataclass(frozen=True)
class MatchSettings:
    fee_yen: int
    name_min_score: float
    name_only_min_score: float


@dataclass(frozen=True)
class Candidate:
    """An application considered for a deposit and why."""

    application_id: AppId
    pass_number: str
    score: float
    via: tuple[str, ...]
    implicated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "pass_number": self.pass_number,
            "score": round(self.score, 1),
            "via": list(self.via),
            "implicated": self.implicated,
        }


@dataclass(frozen=True)
class MatchResult:
    """The decision for one deposit.

    ``status`` is None for an unmatched deposit (no payment_matches row);
    ``application_id`` is None for review and bulk results, whose
    ``implicated`` candidates are the applications staff should look at.
    """

    deposit: Deposit
    application_id: AppId | None
    rule: MatchRule
    score: float
    status: MatchStatus | None
    outcome: str
    candidates: tuple[Candidate, ...]
    reason: str

    @property
    def amount_yen(self) -> int:
        return self.deposit.amount_yen

    @property
    def implicated_ids(self) -> tuple[AppId, ...]:
        ids = [c.application_id for c in self.candidates if c.implicated]
        if self.application_id is not None and self.application_id not in ids:
            ids.insert(0, self.application_id)
        return tuple(ids)

    def candidates_json(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.candidates]


@dataclass
class MatchRun:
    results: list[MatchResult]
    statuses: dict[AppId, str] = field(default_factory=dict)


# --- phase 1: who ---------------------------------------------------------------------


class _Evidence:
    """Candidates seen for one deposit: best score and the ways each was found."""

    def __init__(self) -> None:
        self.scores: dict[AppId, float] = {}
        self.via: dict[AppId, list[str]] = {}

    def add(self, app_id: AppId, score: float, via: str) -> None:
        old = self.scores.get(app_id)
        if old is None:
            self.scores[app_id] = score
            self.via[app_id] = [via]
            return
        if score > old:
            self.scores[app_id] = score
        if via not in self.via[app_id]:
            self.via[app_id].append(via)

    def candidates(
        self, index: ApplicationIndex, implicated: Iterable[AppId] = ()
    ) -> tuple[Candidate, ...]:
        if not self.scores:
            return ()
        marked = set(implicated)
        ordered = sorted(self.scores, key=lambda a: (-self.scores[a], repr(a)))
        chosen = [a for a in ordered if a in marked] + [a for a in ordered if a not in marked]
        keep = chosen[: max(MAX_CANDIDATES, len(marked))]
        return tuple(
            Candidate(
                application_id=a,
                pass_number=index.by_id[a].pass_number,
                score=self.scores[a],
                via=tuple(self.via[a]),
                implicated=a in marked,
            )
            for a in sorted(keep, key=lambda a: (-self.scores[a], repr(a)))
        )


def _decide(
    deposit: Deposit,
    payer: ParsedPayer,
    index: ApplicationIndex,
    aliases: Mapping[str, frozenset[str]],
    cfg: MatchSettings,
) -> MatchResult:
    ev = _Evidence()
    suffix_apps = [a for s in payer.suffixes for a in index.by_suffix.get(s, ())]
    name_scores = {a.id: index.name_score(payer.name_key, a) for a in suffix_apps}
    for app in suffix_apps:
        ev.add(app.id, name_scores[app.id], "suffix")
    name_hits = index.names.search(payer.name_key, cfg.name_min_score)
    for app_id, score in name_hits.items():
        ev.add(app_id, score, "name")
    employer_hits = (
        index.employers.search(payer.name_key, cfg.name_min_score) if payer.is_company else {}
    )
    for app_id in employer_hits:
        ev.add(app_id, employer_hits[app_id], "employer")

    def result(
        rule: MatchRule,
        status: MatchStatus | None,
        reason: str,
        app_id: AppId | None = None,
        implicated: Iterable[AppId] = (),
        outcome: str = "",
    ) -> MatchResult:
        marked = list(implicated)
        scored = [app_id] if app_id is not None else marked
        score = max((ev.scores.get(a, 0.0) for a in scored), default=0.0)
        return MatchResult(
            deposit=deposit,
            application_id=app_id,
            rule=rule,
            score=100.0 if rule == MatchRule.ALIAS else score,
            status=status,
            outcome=outcome or (MatchOutcome.REVIEW.value if status else UNMATCHED),
            candidates=ev.candidates(index, [*marked, *([app_id] if app_id is not None else [])]),
            reason=reason,
        )

    proposed, accepted = MatchStatus.PROPOSED, MatchStatus.ACCEPTED
    fee = cfg.fee_yen
    if payer.is_company and deposit.amount_yen % fee == 0 and deposit.amount_yen // fee >= 2:
        n = deposit.amount_yen // fee
        return result(
            MatchRule.BULK_COMPANY,
            proposed,
            f"company payer, amount is {n} x the fee: staff split it across applications",
            implicated=[a.id for a in suffix_apps] + list(employer_hits),
            outcome=MatchOutcome.BULK.value,
        )

    alias_apps = [
        a for pn in sorted(aliases.get(payer.alias_key, ())) for a in index.by_pass.get(pn, ())
    ]
    if payer.suffixes:
        alias_apps = [a for a in alias_apps if a.suffix in payer.suffixes]
    if len(alias_apps) == 1:
        ev.add(alias_apps[0].id, 100.0, "alias")
        return result(
            MatchRule.ALIAS, accepted, "payer name confirmed by staff before", alias_apps[0].id
        )

    suffix_ids = {a.id for a in suffix_apps}
    if suffix_apps:
        fitting = [a for a in suffix_apps if name_scores[a.id] >= cfg.name_min_score]
        best = max((name_scores[a.id] for a in fitting), default=0.0)
        others = [
            a for a, s in name_hits.items() if a not in suffix_ids and s >= cfg.name_min_score
        ]
        stronger = [
            a for a in others if name_hits[a] > best and name_hits[a] >= cfg.name_only_min_score
        ]
        if len(fitting) == 1 and not stronger:
            return result(
                MatchRule.SUFFIX_NAME,
                accepted,
                "last 4 digits and name agree on one application",
                fitting[0].id,
            )
        if len(fitting) > 1:
            return result(
                MatchRule.SUFFIX_NAME_AMBIGUOUS,
                proposed,
                "several applications share the digits and fit the name",
                implicated=[a.id for a in fitting],
            )
        if others:
            return result(
                MatchRule.SUFFIX_CONFLICT,
                proposed,
                "the digits point at one applicant while the name fits another",
                implicated=[a.id for a in suffix_apps] + others,
            )
        by_employer = [a for a in suffix_apps if a.id in employer_hits]
        if len(by_employer) == 1:
            return result(
                MatchRule.SUFFIX_EMPLOYER,
                proposed,
                "a company paid with the digits of one of its employees",
                by_employer[0].id,
            )
        if len(suffix_apps) == 1:
            return result(
                MatchRule.SUFFIX_ONLY,
                proposed,
                "the digits fit; the name does not",
                suffix_apps[0].id,
            )
        return result(
            MatchRule.SUFFIX_AMBIGUOUS,
            proposed,
            "several applications share the digits and none fits the name",
            implicated=suffix_ids,
        )

    digits_note = (
        f" (digits {', '.join(payer.suffixes)} match no application)" if payer.suffixes else ""
    )
    strong = [a for a, s in name_hits.items() if s >= cfg.name_only_min_score]
    if len(strong) == 1 and len(name_hits) == 1:
        return result(
            MatchRule.NAME_ONLY,
            proposed,
            "no digits; the name fits exactly one application" + digits_note,
            strong[0],
        )
    if name_hits:
        return result(
            MatchRule.NAME_ONLY_AMBIGUOUS,
            proposed,
            "no digits; the name fits several applications or fits weakly" + digits_note,
            implicated=list(name_hits),
        )
    if employer_hits:
        return result(
            MatchRule.EMPLOYER_ONLY,
            proposed,
            "a company without digits; it employs applicants" + digits_note,
            implicated=list(employer_hits),
        )
    return result(MatchRule.NONE, None, "no application fits the digits or the name" + digits_note)


# --- phase 2: how much ---------------------------------------------------------------------


def classify_amount(prior_yen: int, amount_yen: int, fee_yen: int) -> str:
    """The outcome of a payment given what the application already received."""
    if prior_yen >= fee_yen:
        return MatchOutcome.DUPLICATE.value
    remaining = fee_yen - prior_yen
    if amount_yen == remaining:
        return MatchOutcome.PAID.value
    return MatchOutcome.UNDERPAID.value if amount_yen < remaining else MatchOutcome.OVERPAID.value


def net_paid(payments: Iterable[AppliedPayment]) -> int:
    """Accepted and confirmed amounts less refunds."""
    total = 0
    for p in payments:
        if p.status in COUNTED_MATCHES:
            total += p.amount_yen
        elif p.status == MatchStatus.REFUND.value:
            total -= p.amount_yen
    return total


def application_status(
    fee_yen: int, payments: Sequence[AppliedPayment], *, under_review: bool = False
) -> str:
    """An application's payment status from its payments (see the module docstring).

    ``under_review``: a proposed match or review item names the application.
    """
    total = net_paid(payments)
    if total <= 0:
        return PaymentOutcome.REVIEW.value if under_review else PaymentOutcome.UNPAID.value
    if total < fee_yen:
        return PaymentOutcome.UNDERPAID.value
    if total == fee_yen:
        return PaymentOutcome.PAID.value
    duplicate = any(
        p.outcome == MatchOutcome.DUPLICATE and p.status in COUNTED_MATCHES for p in payments
    )
    return PaymentOutcome.DUPLICATE.value if duplicate else PaymentOutcome.OVERPAID.value


def _order(result: MatchResult) -> tuple[Any, ...]:
    d = result.deposit
    return (d.booked_on, d.amount_yen, d.payer_raw, repr(d.ref))


def match_payments(
    applications: Sequence[ApplicationRecord],
    deposits: Sequence[Deposit],
    cfg: MatchSettings,
    *,
    aliases: Mapping[str, frozenset[str]] | None = None,
    applied: Sequence[AppliedPayment] = (),
) -> MatchRun:
    """Match ``deposits`` (open ones only) to ``applications``; see the module docstring."""
    index = ApplicationIndex(applications)
    decided = []
    memo: dict[tuple[str, int], MatchResult] = {}  # the decision depends on payer and amount only
    for d in deposits:
        known = memo.get((d.payer_raw, d.amount_yen))
        if known is None:
            known = _decide(d, parse_payer(d.payer_raw), index, aliases or {}, cfg)
            memo[(d.payer_raw, d.amount_yen)] = known
        decided.append(known if known.deposit is d else replace(known, deposit=d))
    decided.sort(key=_order)

    history: dict[AppId, list[AppliedPayment]] = defaultdict(list)
    for payment in applied:
        history[payment.application_id].append(payment)
    results: list[MatchResult] = []
    for res in decided:  # accepted payments in date order
        if res.status is MatchStatus.ACCEPTED and res.application_id is not None:
            prior = net_paid(history[res.application_id])
            outcome = classify_amount(prior, res.amount_yen, cfg.fee_yen)
            res = _with_outcome(res, outcome)
            history[res.application_id].append(
                AppliedPayment(res.application_id, res.amount_yen, outcome, MatchStatus.ACCEPTED)
            )
        results.append(res)
    final: list[MatchResult] = []
    for res in results:  # proposals: what the outcome would be if staff confirmed them now
        if res.status is MatchStatus.PROPOSED and res.application_id is not None:
            prior = net_paid(history[res.application_id])
            res = _with_outcome(res, classify_amount(prior, res.amount_yen, cfg.fee_yen))
        final.append(res)

    reviewed = {a for r in final if r.status is MatchStatus.PROPOSED for a in r.implicated_ids}
    statuses = {
        app.id: application_status(
            cfg.fee_yen, history.get(app.id, []), under_review=app.id in reviewed
        )
        for app in applications
    }
    return MatchRun(results=final, statuses=statuses)


def _with_outcome(result: MatchResult, outcome: str) -> MatchResult:
    return replace(result, outcome=outcome)
