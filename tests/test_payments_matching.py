"""The pure matcher: rules, amounts, and order independence."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.payments.matching import (
    ApplicationRecord,
    AppliedPayment,
    Deposit,
    MatchSettings,
    classify_amount,
    match_payments,
)
from pipeline.storage.models import MatchStatus

CFG = MatchSettings(fee_yen=11_000, name_min_score=85.0, name_only_min_score=95.0)
D = date(2023, 4, 22)

APPS = [
    ApplicationRecord(1, "23010123", ("コンケン タロウ",)),
    ApplicationRecord(2, "23020123", ("やまだ はなこ",)),  # shares 0123; hiragana furigana
    ApplicationRecord(3, "23010456", ("サトウ キョウコ", "サトウ　キョウコ")),
    ApplicationRecord(4, "23010789", ("スズキ ジロー",), employer="コンケンショウジ"),
    ApplicationRecord(5, "23011111", ("スズキ ジロー",)),  # a homonym of 4
    ApplicationRecord(6, "23012222", ("タナカ イチロウ",), employer="株式会社コンケンショウジ"),
]


def _dep(ref: str, payer: str, amount: int = 11_000, days: int = 0) -> Deposit:
    return Deposit(ref, D + timedelta(days=days), amount, payer)


def _one(payer: str, amount: int = 11_000, apps=APPS, **kw):
    run = match_payments(apps, [_dep("x", payer, amount)], CFG, **kw)
    return run.results[0], run


def test_digits_and_name_agree_is_accepted_even_when_digits_are_shared():
    result, run = _one("０１２３コンケンタロウ")
    assert (result.application_id, result.rule, result.status) == (
        1,
        "suffix+name",
        MatchStatus.ACCEPTED,
    )
    assert result.outcome == "paid" and run.statuses[1] == "paid"
    # the other 0123 applicant was considered and recorded, with a low score
    considered = {c.application_id: c for c in result.candidates}
    assert set(considered) == {1, 2} and considered[2].score < 50
    assert considered[1].via == ("suffix", "name")


def test_four_digits_alone_are_never_enough():
    result, _ = _one("0456ミシラヌヒト")
    assert result.status is MatchStatus.PROPOSED and result.rule == "suffix_only"
    assert result.application_id == 3


def test_shared_digits_with_no_fitting_name_go_to_review_naming_both():
    result, run = _one("0123ベツジン")
    assert result.rule == "suffix_ambiguous" and result.application_id is None
    assert set(result.implicated_ids) == {1, 2}
    assert run.statuses[1] == run.statuses[2] == "review"


def test_digits_of_one_applicant_and_name_of_another_is_a_conflict():
    result, _ = _one("0123サトウキヨウコ")
    assert result.rule == "suffix_conflict" and result.status is MatchStatus.PROPOSED
    assert set(result.implicated_ids) == {1, 2, 3}


def test_homonyms_are_told_apart_by_the_digits():
    result, _ = _one("スズキジロ－　１１１１")
    assert (result.application_id, result.status) == (5, MatchStatus.ACCEPTED)


def test_no_digits_and_a_unique_name_is_only_proposed():
    result, run = _one("ﾀﾅｶ ｲﾁﾛｳ")
    assert (result.rule, result.status, result.application_id) == (
        "name_only",
        MatchStatus.PROPOSED,
        6,
    )
    assert run.statuses[6] == "review"


def test_no_digits_and_a_shared_name_is_review():
    result, _ = _one("スズキジロウ")
    assert result.rule == "name_only_ambiguous" and set(result.implicated_ids) == {4, 5}


def test_no_digits_and_a_slightly_different_name_is_not_proposed_as_a_match():
    result, _ = _one("タナカイチロ")  # 92 < 95: below the no-digits threshold
    assert result.rule == "name_only_ambiguous" and result.application_id is None


def test_unknown_payer_is_unmatched_with_the_reason():
    result, run = _one("デンキダイ")
    assert result.status is None and result.outcome == "unmatched" and result.rule == "none"
    assert all(s == "unpaid" for s in run.statuses.values())


def test_company_paying_n_times_the_fee_is_bulk_with_its_employees_listed():
    result, _ = _one("カ）コンケンシヨウジ", 33_000)
    assert (result.rule, result.outcome, result.application_id) == ("bulk_company", "bulk", None)
    assert set(result.implicated_ids) == {4, 6}


def test_company_paying_one_fee_with_digits_of_its_employee_is_proposed():
    result, _ = _one("カ）コンケンシヨウジ　２２２２")
    assert (result.rule, result.application_id, result.status) == (
        "suffix+employer",
        6,
        MatchStatus.PROPOSED,
    )


def test_a_person_paying_twice_the_fee_is_overpaid_not_bulk():
    result, run = _one("0123コンケンタロウ", 22_000)
    assert result.outcome == "overpaid" and run.statuses[1] == "overpaid"


def test_amounts_paid_underpaid_duplicate_and_top_up():
    deposits = [
        _dep("a", "0456サトウキヨウコ", 10_560, 0),  # transfer fee deducted
        _dep("b", "0456サトウキヨウコ", 440, 3),  # tops it up
        _dep("c", "0123コンケンタロウ", 11_000, 0),
        _dep("d", "0123コンケンタロウ", 11_000, 5),  # paid again
    ]
    run = match_payments(APPS, deposits, CFG)
    outcome = {r.deposit.ref: r.outcome for r in run.results}
    assert outcome == {"a": "underpaid", "b": "paid", "c": "paid", "d": "duplicate"}
    assert run.statuses[3] == "paid" and run.statuses[1] == "duplicate"


def test_payments_applied_in_earlier_runs_count():
    applied = [AppliedPayment(1, 11_000, "paid", "confirmed")]
    result, run = _one("0123コンケンタロウ", applied=applied)
    assert result.outcome == "duplicate" and run.statuses[1] == "duplicate"
    refunded = [
        *applied,
        AppliedPayment(1, 11_000, "duplicate", "accepted"),
        AppliedPayment(1, 11_000, "refund", "refund"),
    ]
    assert match_payments(APPS, [], CFG, applied=refunded).statuses[1] == "paid"


def test_an_alias_confirmed_by_staff_matches_without_digits():
    aliases = {"ヤマダタロウ": frozenset({"23020123"})}  # a husband pays for 2
    result, _ = _one("ヤマダ タロウ", aliases=aliases)
    assert (result.rule, result.application_id, result.status) == ("alias", 2, MatchStatus.ACCEPTED)
    # digits that contradict the alias win over it
    other, _ = _one("0456ヤマダタロウ", aliases=aliases)
    assert other.rule != "alias"


def test_classify_amount():
    assert classify_amount(0, 11_000, 11_000) == "paid"
    assert classify_amount(0, 10_560, 11_000) == "underpaid"
    assert classify_amount(0, 12_000, 11_000) == "overpaid"
    assert classify_amount(11_000, 11_000, 11_000) == "duplicate"
    assert classify_amount(10_560, 440, 11_000) == "paid"


_PAYERS = [
    "0123コンケンタロウ",
    "0123コンケンタロウ",
    "0456サトウキヨウコ",
    "0123サトウキヨウコ",
    "スズキジロウ",
    "カ）コンケンシヨウジ",
    "ﾀﾅｶｲﾁﾛｳ",
    "デンキダイ",
    "1111スズキジロ",
]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_PAYERS),
            st.sampled_from([10_560, 11_000, 22_000, 33_000]),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_shuffling_the_statement_does_not_change_the_matches(rows, rnd):
    deposits = [_dep(f"t{i}", payer, amount, day) for i, (payer, amount, day) in enumerate(rows)]
    shuffled = list(deposits)
    rnd.shuffle(shuffled)

    def view(run):
        return (
            sorted(
                (r.deposit.ref, r.application_id, r.rule, r.outcome, r.status) for r in run.results
            ),
            run.statuses,
        )

    assert view(match_payments(APPS, deposits, CFG)) == view(match_payments(APPS, shuffled, CFG))
