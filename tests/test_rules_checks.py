"""Each rule at the boundaries the issue lists, through the whole evaluation."""

from __future__ import annotations

from datetime import date

import pytest

from tests.rules_support import base_app, finding, outcome_of, period, run, with_


def test_base_application_is_eligible() -> None:
    evaluation = run(base_app())
    assert evaluation.outcome == "eligible"
    assert {f.outcome.value for f in evaluation.findings} <= {"pass", "not_applicable"}


# --- qualification ---------------------------------------------------------------------


@pytest.mark.parametrize("qualification", ["SV", "OP", "EN"])
def test_operation_qualifications_need_no_certification(qualification: str) -> None:
    evaluation = run(with_(base_app(), qualification=qualification))
    assert evaluation.outcome == "not_required"
    only = finding(evaluation, "qualification.needs_certification")
    assert only.outcome == "not_applicable"
    assert only.letter_kind == "no_certification_needed"
    assert evaluation.dates is None


@pytest.mark.parametrize("qualification", ["CAP", "OMP"])
def test_professional_qualifications_need_certification(qualification: str) -> None:
    app = with_(base_app(), qualification=qualification)
    app["exam_report"]["exam_type"] = qualification
    app["register"]["exam_type"] = qualification
    assert outcome_of(run(app), "qualification.needs_certification") == "pass"


# --- ① exam -------------------------------------------------------------------------------


def test_failed_exam_is_proposed_ineligible() -> None:
    app = base_app()
    app["exam_report"]["result"] = "不合格"
    app["register"]["result"] = "fail"
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.passed") == "fail"
    assert evaluation.outcome == "ineligible_proposed"


def test_pass_in_another_qualification_fails() -> None:
    app = base_app()
    app["exam_report"]["exam_type"] = "OMP"
    app["register"]["exam_type"] = "OMP"
    assert outcome_of(run(app), "exam.passed") == "fail"


def _report_issued(issue: str, received: str, override: str | None = None) -> dict:
    app = with_(base_app(), received_on=received, received_on_override=override)
    app["exam_report"]["issue_date"] = issue
    app["register"]["issue_date"] = issue
    # keep experience inside the received month
    app["experience"] = [period("2015-01", "2020-12", [4, 6])]
    return app


def test_report_valid_on_its_last_day() -> None:
    evaluation = run(_report_issued("2021-06-15", "2024-06-14"), today=date(2024, 6, 14))
    assert outcome_of(evaluation, "exam.valid_on_receipt") == "pass"
    assert evaluation.outcome == "eligible"


def test_report_expired_the_day_after() -> None:
    evaluation = run(_report_issued("2021-06-15", "2024-06-15"), today=date(2024, 6, 15))
    assert outcome_of(evaluation, "exam.valid_on_receipt") == "fail"
    assert evaluation.outcome == "ineligible_proposed"


def test_staff_override_of_received_date_counts_not_arrival() -> None:
    # arrived two days late, postmarked on the last valid day
    app = _report_issued("2021-06-15", "2024-06-17", override="2024-06-14")
    evaluation = run(app, today=date(2024, 6, 17))
    assert outcome_of(evaluation, "exam.valid_on_receipt") == "pass"
    used = finding(evaluation, "exam.valid_on_receipt").facts["received_on"]
    assert used.value == "2024-06-14"
    assert used.field_id == "staff.received_on_override"


def test_received_before_issue_is_review_not_fail() -> None:
    evaluation = run(_report_issued("2024-05-20", "2024-05-10"))
    assert outcome_of(evaluation, "exam.valid_on_receipt") == "review"


def test_not_in_register_is_review() -> None:
    evaluation = run(with_(base_app(), register=None))
    assert outcome_of(evaluation, "exam.matches_register") == "review"
    assert evaluation.outcome == "review"


def test_register_disagreeing_with_report_fails() -> None:
    app = base_app()
    app["register"]["result"] = "fail"
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.matches_register") == "fail"
    assert evaluation.outcome == "ineligible_proposed"


# --- ② experience: totals -------------------------------------------------------------


@pytest.mark.parametrize(("start", "expected"), [("2019-04", "pass"), ("2019-05", "fail")])
def test_60_months_passes_59_fails(start: str, expected: str) -> None:
    app = with_(base_app(), experience=[period(start, "2024-03", [4, 6])])
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.total_months") == expected
    months = finding(evaluation, "experience.total_months").details["total_months"]
    assert months == (60 if expected == "pass" else 59)


def test_overlapping_periods_count_once() -> None:
    overlapping = [period("2019-04", "2022-03", [4]), period("2021-04", "2024-03", [6])]
    assert (
        outcome_of(run(with_(base_app(), experience=overlapping)), "experience.total_months")
        == "pass"
    )
    # 2019-05 start: 72 months written down, 59 distinct
    short = [period("2019-05", "2022-03", [4]), period("2021-04", "2024-03", [6])]
    evaluation = run(with_(base_app(), experience=short))
    assert outcome_of(evaluation, "experience.total_months") == "fail"
    assert finding(evaluation, "experience.total_months").details["experience_months"] == 59


def test_present_ends_at_the_received_month() -> None:
    # 2019-06 … 現在, received 2024-05-10 → 2019-06..2024-05 = 60
    app = with_(base_app(), experience=[period("2019-06", "現在", [4, 6])])
    assert outcome_of(run(app), "experience.total_months") == "pass"
    # received in April instead → 59
    app_april = with_(app, received_on="2024-04-30")
    assert outcome_of(run(app_april, today=date(2024, 5, 1)), "experience.total_months") == "fail"


def test_present_uses_the_override_month() -> None:
    app = with_(
        base_app(),
        received_on="2024-06-03",
        received_on_override="2024-04-30",
        experience=[period("2019-06", "現在", [4, 6])],
    )
    assert outcome_of(run(app, today=date(2024, 6, 3)), "experience.total_months") == "fail"


def test_period_without_any_field_does_not_count() -> None:
    app = with_(
        base_app(),
        experience=[period("2019-04", "2021-12", [4, 6]), period("2022-01", "2024-03", [])],
    )
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.total_months") == "fail"
    assert finding(evaluation, "experience.total_months").details["rows_without_field"] == [2]


def test_period_ending_after_receipt_is_review() -> None:
    app = with_(base_app(), experience=[period("2019-04", "2024-08", [4, 6])])
    assert outcome_of(run(app), "experience.total_months") == "review"


def test_period_starting_after_it_ends_is_review() -> None:
    app = with_(
        base_app(),
        experience=[period("2019-04", "2024-03", [4, 6]), period("2023-05", "2023-01", [5])],
    )
    assert outcome_of(run(app), "experience.total_months") == "review"


# --- substitution: capped at 24, table only ---------------------------------------------


def _thirty_six_plus(months_of_experience: int, *items: dict) -> dict:
    start = {36: "2021-04", 35: "2021-05"}[months_of_experience]
    return with_(
        base_app(), experience=[period(start, "2024-03", [4, 6])], substitutions=list(items)
    )


def test_substitution_24_reaches_60() -> None:
    evaluation = run(_thirty_six_plus(36, {"item": "研修二十四"}))
    assert outcome_of(evaluation, "experience.total_months") == "pass"
    assert evaluation.outcome == "eligible"


def test_substitution_25_is_capped_at_24() -> None:
    # 12 + 13 = 25 claimed → 24 credited: 36 + 24 = 60 passes, 35 + 24 = 59 fails
    items = ({"item": "資格十二"}, {"item": "十三"})
    passing = run(_thirty_six_plus(36, *items))
    assert finding(passing, "experience.total_months").details["substitution_credited_months"] == 24
    assert outcome_of(passing, "experience.total_months") == "pass"
    failing = run(_thirty_six_plus(35, *items))
    assert outcome_of(failing, "experience.total_months") == "fail"
    assert failing.outcome == "ineligible_proposed"


def test_substitution_36_is_capped_at_24() -> None:
    evaluation = run(_thirty_six_plus(35, {"item": "研修三十六"}))
    details = finding(evaluation, "experience.total_months").details
    assert details["substitution_claimed_months"] == 36
    assert details["substitution_credited_months"] == 24
    assert details["total_months"] == 59
    assert outcome_of(evaluation, "experience.total_months") == "fail"


def test_claimed_months_below_the_table_are_what_counts() -> None:
    evaluation = run(_thirty_six_plus(36, {"item": "研修二十四", "months": 12}))
    assert finding(evaluation, "experience.total_months").details["total_months"] == 48


def test_unknown_substitution_item_is_review() -> None:
    evaluation = run(_thirty_six_plus(36, {"item": "どこかの民間資格"}))
    assert outcome_of(evaluation, "experience.substitution_recognised") == "review"
    assert outcome_of(evaluation, "experience.total_months") == "review"
    assert evaluation.outcome == "review"


def test_unknown_item_that_could_not_help_leaves_a_certain_failure() -> None:
    # 35 months + at most 24 = 59 < 60: whatever staff say of the unknown item, it fails
    app = with_(
        base_app(),
        experience=[period("2021-05", "2024-03", [4, 6])],
        substitutions=[{"item": "どこかの民間資格"}],
    )
    evaluation = run(app)
    assert finding(evaluation, "experience.total_months").details["experience_months"] == 35
    assert outcome_of(evaluation, "experience.total_months") == "fail"
    assert outcome_of(evaluation, "experience.substitution_recognised") == "review"
    assert evaluation.outcome == "ineligible_proposed"
    # the review is not lost: it stands beside the failure for the person who confirms
    assert any(
        r.startswith("（あわせて要確認）【資格・研修による代替】") for r in evaluation.reasons
    )


def test_substitution_does_not_count_toward_required_field_months() -> None:
    # 20 months in field 6 + 40 in field 4, + 24 substitution: required stays 20
    app = with_(
        base_app(),
        experience=[period("2019-04", "2022-07", [4]), period("2022-08", "2024-03", [6])],
        substitutions=[{"item": "研修二十四"}],
    )
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.total_months") == "pass"
    assert outcome_of(evaluation, "experience.required_field_months") == "fail"


def test_required_field_shortfall_is_certain_beside_an_unknown_item() -> None:
    # ※2 counts experience, not substitution: an unknown item cannot make up the 20 months
    app = with_(
        base_app(),
        experience=[period("2019-04", "2022-07", [4]), period("2022-08", "2024-03", [6])],
        substitutions=[{"item": "どこかの民間資格"}],
    )
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.required_field_months") == "fail"
    assert outcome_of(evaluation, "experience.substitution_recognised") == "review"
    assert evaluation.outcome == "ineligible_proposed"


# --- fields -----------------------------------------------------------------------------


def test_one_field_only_fails_field_count() -> None:
    app = with_(base_app(), experience=[period("2019-04", "2024-03", [6])])
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.field_count") == "fail"
    assert outcome_of(evaluation, "experience.required_field_months") == "pass"


@pytest.mark.parametrize(("end", "expected"), [("2023-11", "fail"), ("2023-12", "pass")])
def test_23_required_months_fail_24_pass(end: str, expected: str) -> None:
    app = with_(
        base_app(),
        experience=[period("2018-01", "2021-12", [4]), period("2022-01", end, [6])],
    )
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.total_months") == "pass"
    assert outcome_of(evaluation, "experience.required_field_months") == expected


def test_required_months_are_a_union() -> None:
    # two overlapping field-7 periods of 18 months each, overlapping 12 → 24
    app = with_(
        base_app(),
        experience=[
            period("2015-01", "2019-12", [1]),
            period("2020-01", "2021-06", [7]),
            period("2020-07", "2021-12", [7], org="別会社"),
        ],
    )
    details = finding(run(app), "experience.required_field_months").details
    assert details["months"] == 24


def test_omp_requires_field_4_or_5() -> None:
    app = with_(base_app(), qualification="OMP", experience=[period("2019-04", "2024-03", [6, 7])])
    app["exam_report"]["exam_type"] = "OMP"
    app["register"]["exam_type"] = "OMP"
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.required_field_months") == "fail"
    app["experience"] = [period("2019-04", "2024-03", [5, 7])]
    assert outcome_of(run(app), "experience.required_field_months") == "pass"


# --- attestation --------------------------------------------------------------------------


def test_missing_attestation_waits_for_the_form() -> None:
    app = with_(base_app(), experience=[period("2019-04", "2024-03", [4, 6], attested=False)])
    evaluation = run(app)
    att = finding(evaluation, "attestation.present")
    assert att.outcome == "fail"
    assert att.letter_kind == "missing_documents"
    assert evaluation.outcome == "pending"


def test_unsigned_attestation_fails_present() -> None:
    app = with_(base_app(), experience=[period("2019-04", "2024-03", [4, 6], signed=False)])
    assert outcome_of(run(app), "attestation.present") == "fail"


def test_attestation_by_another_organisation_is_review() -> None:
    app = with_(
        base_app(),
        experience=[period("2019-04", "2024-03", [4, 6], attesting_org="現在の勤務先株式会社")],
    )
    evaluation = run(app)
    assert outcome_of(evaluation, "attestation.same_organisation") == "review"
    assert evaluation.outcome == "review"


def test_legal_form_and_spacing_do_not_make_organisations_differ() -> None:
    app = with_(
        base_app(),
        experience=[
            period(
                "2019-04",
                "2024-03",
                [4, 6],
                org="株式会社 サンプル",
                attesting_org="サンプル（株）",
            )
        ],
    )
    assert outcome_of(run(app), "attestation.same_organisation") == "pass"


# --- oath, fee, documents: outstanding items ---------------------------------------------


def test_unsigned_oath_is_pending_with_a_letter() -> None:
    evaluation = run(with_(base_app(), oath_signed=False))
    oath = finding(evaluation, "oath.signed")
    assert (oath.outcome, oath.letter_kind) == ("fail", "unsigned_oath")
    assert evaluation.outcome == "pending"
    assert "unsigned_oath" in evaluation.letters


@pytest.mark.parametrize("status", ["unpaid", "underpaid", "bulk"])
def test_payment_not_yet_complete_is_pending(status: str) -> None:
    evaluation = run(with_(base_app(), payment={"status": status}))
    assert outcome_of(evaluation, "fee.paid") == "fail"
    assert evaluation.outcome == "pending"


def test_underpayment_asks_for_the_difference() -> None:
    evaluation = run(with_(base_app(), payment={"status": "underpaid", "amount_yen": 10000}))
    assert finding(evaluation, "fee.paid").letter_kind == "underpayment"


def test_overpaid_counts_as_paid() -> None:
    assert run(with_(base_app(), payment={"status": "overpaid"})).outcome == "eligible"


def test_paid_then_paid_again_is_paid_and_the_second_deposit_is_refunded() -> None:
    # 「認定審査手数料の入金を確認した時点で申請を受理します」: the first deposit settles it
    evaluation = run(with_(base_app(), payment={"status": "duplicate", "amount_yen": 22000}))
    fee = finding(evaluation, "fee.paid")
    assert fee.outcome == "pass"
    assert "返金" in fee.message_ja
    assert evaluation.outcome == "eligible"


def test_payments_stage_unsure_is_review() -> None:
    assert run(with_(base_app(), payment={"status": "review"})).outcome == "review"


def test_pending_ends_when_the_wait_is_over() -> None:
    app = with_(base_app(), payment={"status": "unpaid"})  # received 2024-05-10
    assert run(app, today=date(2024, 5, 24), wait_days=14).outcome == "pending"  # day 14
    late = run(app, today=date(2024, 5, 25), wait_days=14)  # day 15
    assert late.outcome == "review"
    assert any("待機期間" in r for r in late.reasons)


def test_missing_form_d_is_pending_and_holds_back_the_oath_rule() -> None:
    app = with_(
        base_app(),
        oath_signed=None,  # nothing to read: the form is not there
        documents={"D": False},
    )
    evaluation = run(app)
    docs = finding(evaluation, "completeness.documents")
    assert (docs.outcome, docs.letter_kind) == ("fail", "missing_documents")
    assert docs.details["missing_documents"] == ["D"]
    assert outcome_of(evaluation, "oath.signed") == "not_applicable"
    assert evaluation.outcome == "pending"


def test_missing_form_does_not_hold_back_rules_reading_other_documents() -> None:
    app = with_(base_app(), documents={"D": False})
    app["exam_report"]["result"] = {"value": "合格", "confidence": 0.4}
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.passed") == "review"
    assert evaluation.outcome == "review"


# --- decision precedence -------------------------------------------------------------------


def test_a_certain_failure_is_not_hidden_by_a_review_elsewhere() -> None:
    app = base_app()
    app["exam_report"]["result"] = "不合格"
    app["register"]["result"] = "fail"
    app["oath_signed"] = {"value": True, "confidence": 0.3}  # cannot change a failed exam
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.passed") == "fail"
    assert outcome_of(evaluation, "oath.signed") == "review"
    assert evaluation.outcome == "ineligible_proposed"
    assert any(r.startswith("（あわせて要確認）【宣誓書の署名】") for r in evaluation.reasons)


def test_an_uncertain_input_of_the_failing_rule_is_review_not_a_failure() -> None:
    app = base_app()
    app["exam_report"]["result"] = {"value": "不合格", "confidence": 0.3}
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.passed") == "review"
    assert evaluation.outcome == "review"


@pytest.mark.parametrize("received", ["2026-05-10", "2030-05-10"])
def test_received_date_in_the_future_is_review_never_a_decision(received: str) -> None:
    # one would be within the report's validity, the other long past it: neither is judged
    evaluation = run(with_(base_app(), received_on=received))
    assert evaluation.outcome == "review"
    assert [f.rule_id for f in evaluation.findings] == ["received.not_in_the_future"]
    assert evaluation.dates is None
    assert received in evaluation.reasons[0]


def test_a_future_postmark_override_is_review_too() -> None:
    evaluation = run(with_(base_app(), received_on_override="2024-06-01"))
    assert evaluation.outcome == "review"
    assert run(with_(base_app(), received_on="2024-05-12")).outcome == "eligible"  # today


def test_confident_fail_wins_over_outstanding_items() -> None:
    app = with_(base_app(), payment={"status": "unpaid"}, oath_signed=False)
    app["experience"] = [period("2019-05", "2024-03", [4, 6])]
    assert run(app).outcome == "ineligible_proposed"


@pytest.mark.parametrize("status", ["low_confidence", "corrected", "invalid", "missing"])
def test_no_eligible_on_a_non_confident_value(status: str) -> None:
    app = base_app()
    app["experience"][0]["from"] = {"value": "2019-04", "status": status, "confidence": 0.95}
    evaluation = run(app)
    assert outcome_of(evaluation, "experience.total_months") == "review"
    assert evaluation.outcome == "review"


def test_confirmed_after_correction_counts() -> None:
    app = base_app()
    app["experience"][0]["from"] = {"value": "2019-04", "status": "confirmed", "confidence": 0.4}
    assert run(app).outcome == "eligible"


def test_confidence_without_status_uses_the_ok_threshold() -> None:
    app = base_app()
    app["oath_signed"] = {"value": True, "confidence": 0.95, "field_id": "D.signature"}
    assert run(app).outcome == "eligible"
    app["oath_signed"] = {"value": True, "confidence": 0.85}
    assert run(app).outcome == "review"


def test_dates_follow_the_issue_date() -> None:
    evaluation = run(base_app())  # issued 2023-04-01
    assert evaluation.dates is not None
    assert evaluation.dates.valid_from == date(2024, 4, 1)
    assert evaluation.dates.valid_to == date(2027, 3, 31)
    assert evaluation.dates.renewal_closes == date(2027, 2, 28)


def test_review_message_names_the_uncertain_field() -> None:
    app = base_app()
    app["exam_report"]["issue_date"] = {
        "value": "2023-04-01",
        "confidence": 0.41,
        "field_id": "R.issue_date",
    }
    evaluation = run(app)
    message = finding(evaluation, "exam.valid_on_receipt").message_ja
    assert "R.issue_date" in message
    assert "信頼度が低い" in message
    assert evaluation.dates is None


def test_missing_form_b_holds_back_experience_instead_of_failing_it() -> None:
    # no form B: no rows were read, which must not read as "0 months of experience"
    app = with_(base_app(), experience=[], documents={"B": False})
    evaluation = run(app)
    for rule in (
        "experience.total_months",
        "experience.field_count",
        "experience.required_field_months",
    ):
        held = finding(evaluation, rule)
        assert held.outcome == "not_applicable"
        assert held.details["held_back_for"] == ["B"]
    assert evaluation.outcome == "pending"
    assert finding(evaluation, "completeness.documents").details["missing_documents"] == ["B"]


def test_missing_form_a_is_pending_not_not_required() -> None:
    app = with_(base_app(), qualification=None, documents={"A": False})
    evaluation = run(app)
    held = finding(evaluation, "qualification.needs_certification")
    assert held.outcome == "not_applicable"
    assert held.details["held_back_for"] == ["A"]
    # held back is not "no certification needed": the application waits for form A
    assert evaluation.outcome == "pending"
    assert "no_certification_needed" not in evaluation.letters
    assert evaluation.letters == ["missing_documents"]


def test_missing_report_copy_waits_for_it() -> None:
    app = base_app()
    app["exam_report"] = {
        "pass_number": None,
        "exam_type": None,
        "result": None,
        "issue_date": None,
    }
    app["documents"] = {"report": False}
    evaluation = run(app)
    assert outcome_of(evaluation, "exam.passed") == "not_applicable"
    assert outcome_of(evaluation, "exam.valid_on_receipt") == "not_applicable"
    assert evaluation.outcome == "pending"
    assert evaluation.dates is None
