"""① Exam: a pass in the qualification applied for, valid on receipt, as registered."""

from __future__ import annotations

import unicodedata

from pipeline.rules import dates
from pipeline.rules.facts import ApplicationFacts
from pipeline.rules.findings import Finding, Used, jsonable
from pipeline.rules.readings import SECTION_EXAM, SECTION_EXAM_VALIDITY, Readings
from pipeline.rules.rulings import judgement
from pipeline.vocabulary import FindingOutcome

RULE_PASSED = "exam.passed"
RULE_VALID = "exam.valid_on_receipt"
RULE_REGISTER = "exam.matches_register"

_RESULT_JA = {"pass": "合格", "fail": "不合格"}


def record_received_on(used: Used, app: ApplicationFacts) -> None:
    """The effective received date: staff override (e.g. postmark) or arrival."""
    source = (
        "staff.received_on_override"
        if app.received_on_override is not None
        else "envelope.received_on"
    )
    used.plain("received_on", app.effective_received_on, source)


def check_passed(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    applied = used.fact("qualification", app.qualification)
    exam_type = used.fact("exam_type", app.exam_report.exam_type)
    result = used.fact("exam_result", app.exam_report.result)
    if used.uncertain:
        return used.review_uncertain(RULE_PASSED, SECTION_EXAM)
    if result != "pass":
        return used.finding(
            RULE_PASSED,
            FindingOutcome.FAIL,
            SECTION_EXAM,
            f"試験結果レポートの結果は「{_RESULT_JA.get(result, result)}」です。"
            "合格が確認できないため認定できません。",
        )
    if exam_type != applied:
        return used.finding(
            RULE_PASSED,
            FindingOutcome.FAIL,
            SECTION_EXAM,
            f"合格した検定試験（{exam_type}）が申請資格（{applied}）と異なります。",
        )
    return used.finding(
        RULE_PASSED,
        FindingOutcome.PASS,
        SECTION_EXAM,
        f"試験結果レポートで {applied} の合格を確認しました。",
    )


def check_valid_on_receipt(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    issued = used.fact("issue_date", app.exam_report.issue_date)
    record_received_on(used, app)
    if used.uncertain:
        return used.review_uncertain(RULE_VALID, SECTION_EXAM_VALIDITY)
    received = app.effective_received_on
    last = dates.report_last_valid_day(issued, readings)
    details = {"received_on": received, "last_valid_day": last}
    if received < issued:
        return used.finding(
            RULE_VALID,
            FindingOutcome.REVIEW,
            SECTION_EXAM_VALIDITY,
            f"受付日（{received}）が試験結果レポートの発行日（{issued}）より前です。"
            "日付を確認してください。",
            details=details,
        )
    if received <= last:
        return used.finding(
            RULE_VALID,
            FindingOutcome.PASS,
            SECTION_EXAM_VALIDITY,
            f"受付日 {received} は試験結果レポートの有効期間（{issued}〜{last}）内です。",
            details=details,
        )
    return used.finding(
        RULE_VALID,
        FindingOutcome.FAIL,
        SECTION_EXAM_VALIDITY,
        f"試験結果レポートの有効期間（{issued}〜{last}）を過ぎて受け付けました"
        f"（受付日 {received}）。再受験が必要です。",
        details=details,
    )


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("-", "")


def check_matches_register(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    report = app.exam_report
    number = used.fact("pass_number", report.pass_number)
    exam_type = used.fact("exam_type", report.exam_type)
    result = used.fact("exam_result", report.result)
    issued = used.fact("issue_date", report.issue_date)
    entry = app.register_entry
    if entry is not None:
        used.plain("register_pass_number", entry.pass_number, "register.pass_number")
        used.plain("register_exam_type", entry.exam_type, "register.exam_type")
        used.plain("register_result", entry.result, "register.result")
        if entry.issue_date is not None:
            used.plain("register_issue_date", entry.issue_date, "register.issue_date")
    if used.uncertain:
        return used.review_uncertain(RULE_REGISTER, SECTION_EXAM)
    if entry is None:
        facts_ja = f"合格者名簿に合格者番号 {number} が見つかりません"
        judged = {"pass_number": number, "exam_type": exam_type, "issue_date": issued}
        return used.finding(
            RULE_REGISTER,
            FindingOutcome.REVIEW,
            SECTION_EXAM,
            f"{facts_ja}。番号の読取りと名簿を確認してください。",
            details={
                "judgement": judgement(
                    RULE_REGISTER, jsonable(judged), facts_ja, [report.pass_number.field_id]
                )
            },
        )
    differences = []
    if _norm(entry.pass_number) != _norm(number):
        differences.append(f"合格者番号（レポート {number}／名簿 {entry.pass_number}）")
    if entry.exam_type != exam_type:
        differences.append(f"試験種別（レポート {exam_type}／名簿 {entry.exam_type}）")
    if entry.result != result:
        differences.append(
            f"結果（レポート {_RESULT_JA[result]}／名簿 {_RESULT_JA[entry.result]}）"
        )
    if entry.issue_date is not None and entry.issue_date != issued:
        differences.append(f"発行日（レポート {issued}／名簿 {entry.issue_date}）")
    if differences:
        return used.finding(
            RULE_REGISTER,
            FindingOutcome.FAIL,
            SECTION_EXAM,
            "試験結果レポートが合格者名簿と一致しません: " + "、".join(differences),
            details={"differences": differences},
        )
    return used.finding(
        RULE_REGISTER,
        FindingOutcome.PASS,
        SECTION_EXAM,
        f"試験結果レポートは合格者名簿（合格者番号 {number}）と一致します。",
    )
