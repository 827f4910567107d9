"""The one Japanese name of each thing people read about: kinds of review items,
decisions and the rules behind them. The review app, the run report and the command
line all take their words from here, so the same thing is never named two ways and no
code meant for machines (a rule id, a status) reaches a person (pure: no database)."""

from __future__ import annotations

from pipeline.vocabulary import MatchRule

DECISION_JA: dict[str, str] = {
    "eligible": "認定可",
    "ineligible_proposed": "不認定（案）— 責任者の判断待ち",
    "pending": "保留 — 書類・入金の到着待ち",
    "review": "要確認",
    "not_required": "認定不要（検定試験合格のみで資格取得）",
    "approved": "認定済み",
    "rejected": "不認定（確定）",
    "withdrawn": "取下げ",
    "superseded": "差し替え済み（新しい申請書類へ）",
}
# The same decisions where a line is short (chart labels): the name before its explanation.
DECISION_SHORT_JA: dict[str, str] = {
    **DECISION_JA,
    "ineligible_proposed": "不認定（案）",
    "pending": "保留",
    "not_required": "認定不要",
    "superseded": "差し替え済み",
}
# Each rule by what it judges. The id stays with the finding (stored, in the JSON
# trace); a decision's reasons, which people read, name the rule by this.
RULE_JA: dict[str, str] = {
    "received.not_in_the_future": "受付日",
    "qualification.needs_certification": "認定の要否",
    "certification.not_already_certified": "二重認定の確認",
    "exam.passed": "検定試験の合格",
    "exam.valid_on_receipt": "試験結果レポートの有効期間",
    "exam.matches_register": "合格者名簿との照合",
    "experience.total_months": "業務経験の期間",
    "experience.field_count": "業務経験の分野の数",
    "experience.required_field_months": "必須分野の業務経験",
    "experience.substitution_recognised": "資格・研修による代替",
    "attestation.present": "業務経歴の証明",
    "attestation.same_organisation": "証明者の所属",
    "oath.signed": "宣誓書の署名",
    "fee.paid": "認定審査手数料の入金",
    "completeness.documents": "必要書類の同封",
}


def actor_ja(actor: str) -> str:
    """Who acted, for a person: the nightly run and the system in words; a user's login
    name as it is (the review app shows display names where it knows them)."""
    if actor.startswith("run:"):
        return f"夜間処理（実行 #{actor.split(':', 1)[1]}）"
    if actor == "system":
        return "システム"
    return actor


def reason_line(rule_id: str, message_ja: str) -> str:
    """One line of a decision's reasons: the rule by its name, then what it found."""
    return f"【{RULE_JA.get(rule_id, '認定基準')}】{message_ja}"


# Why a deposit went to an application (every match rule): the review items' titles,
# the item page, the payments desk and the audit trail all say it so.
MATCH_RULE_JA: dict[str, str] = {
    MatchRule.SUFFIX_NAME: "合格者番号下4桁と振込名義が一致",
    MatchRule.SUFFIX_NAME_AMBIGUOUS: "合格者番号下4桁と氏名が複数の申請に該当します",
    MatchRule.SUFFIX_CONFLICT: "合格者番号下4桁と振込名義が別の申請者を指しています",
    MatchRule.SUFFIX_EMPLOYER: "合格者番号下4桁と勤務先（法人名義）が一致しています",
    MatchRule.SUFFIX_ONLY: "合格者番号下4桁のみ一致し、振込名義が一致しません",
    MatchRule.SUFFIX_AMBIGUOUS: "合格者番号下4桁が複数の申請に該当し、振込名義が一致しません",
    MatchRule.NAME_ONLY: "合格者番号の記載がなく、振込名義のみ一致しています",
    MatchRule.NAME_ONLY_AMBIGUOUS: (
        "合格者番号の記載がなく、振込名義の候補が複数または一致度が低いです"
    ),
    MatchRule.EMPLOYER_ONLY: "法人名義の入金で、勤務先のみ一致しています",
    MatchRule.BULK_COMPANY: "法人名義のまとめての入金（申請ごとに振り分けが必要）",
    MatchRule.ALIAS: "以前に確認した振込名義",
    MatchRule.NONE: "該当する申請なし",
    MatchRule.MANUAL: "担当者が割り当て",
    MatchRule.MANUAL_SPLIT: "担当者が分割",
    MatchRule.MANUAL_REFUND: "担当者が返金を記録",
}


def match_rule_label(rule: str) -> str:
    """A match rule in words (a value nobody named, from an older version: 自動の照合)."""
    return MATCH_RULE_JA.get(rule, "自動の照合")


# The findings a person can rule on (認める / 認めない), each by what it judges.
CRITERION_JA: dict[str, str] = {
    "attestation.same_organisation": "証明者の所属（経歴と別の企業・組織）",
    "experience.substitution_recognised": "一覧にない代替項目の算入",
    "exam.matches_register": "合格者名簿にない合格者番号",
    "certification.not_already_certified": "同じ合格番号・資格で認定済み（二重認定の確認）",
}
RULING_JA: dict[bool, str] = {True: "認める", False: "認めない"}
# Audit actions the rules record themselves (the review app's own are in its labels).
RULE_ACTION_JA: dict[str, str] = {"rule.ruled": "基準を判断（認める／認めない）"}
# The nightly run's state, wherever a run is listed (the run report, the app's list).
RUN_STATUS_JA: dict[str, str] = {
    "running": "実行中",
    "succeeded": "正常終了",
    "failed": "異常終了",
    "interrupted": "中断",
}
# Audit actions of the payments stage and desk; an item the action settles is closed
# with the same words.
PAYMENT_ACTION_JA: dict[str, str] = {
    "payment.confirmed": "入金を確定",
    "payment.reassigned": "入金の申請者を変更",
    "payment.split": "入金を分割",
    "payment.refund": "返金",
    "payment.refund_marked": "返金の対象にした",
    "payment.refund_paid": "返金済みを記録",
    "payment.moved": "入金を新しい申請書類に移した",
    "payment.proposed": "入金の照合候補を作成",
    "payment.accepted": "入金を自動で照合",
    "payment.rejected": "入金の照合を取り消し",
    "payment.refund_proposed": "返金の候補にした",
    "payment.allocated": "入金を申請に割り当て",
    "payment.allocation_withdrawn": "入金の割り当てを取り消し",
}
# Why the system closed an item or changed a record, as the item page and the audit
# trail say it. Older versions wrote these in English; OLD_REASONS_JA reads those rows.
RECEIVED_DATE_SETTLED_JA = "受付日が処理日より後ではなくなったため、確認は不要になりました"
RECONCILED_JA = "夜間処理の入金照合で、確認は不要になりました"
STATEMENT_REPLACED_JA = "入出金明細のファイルが差し替えられ、取り込まれました"
PASSWORD_SET_JA = "パスワードを変更（パスワードそのものは記録しません）"
PURGED_JA = "保存期間（判定から{years}年）を過ぎたため"
OLD_REASONS_JA: dict[str, str] = {
    "the received date is no longer after the business date": RECEIVED_DATE_SETTLED_JA,
    "resolved by payment reconciliation": RECONCILED_JA,
    "the statement file was replaced and imported": STATEMENT_REPLACED_JA,
    "password changed (not logged)": PASSWORD_SET_JA,
}
# The one name of each kind of item, wherever people read it (app, report, letters).
KIND_JA: dict[str, str] = {
    "field_review": "読み取りの確認",
    "field_missing": "未記入・読み取り不可",
    "data_cleanup": "判定に影響しない読み取り",
    "documents_missing": "書類不足の確認",
    "page_unidentified": "様式を判別できないページ",
    "page_unaligned": "読み取れないページ",
    "page_duplicate_page": "重複したページ",
    "envelope_failed": "読み取りエラー",
    "payment_review": "入金の確認",
    "payment_bulk": "まとめての入金（振り分け）",
    "payment_unmatched": "申請者が不明な入金",
    "payment_underpaid": "入金額の不足",
    "payment_overpaid": "入金額の超過",
    "payment_duplicate": "二重の入金",
    "application_unpaid": "未入金",
    "payment_refund": "返金（未返金）",
    "decision_review": "判定の確認",
    "ineligible_proposed": "不認定（案）の確認",
    "letter_blocked": "送付できない通知文",
    "certificate_blocked": "作成できない認定証",
    "received_date": "受付日の確認（未来の日付）",
    "statement_rejected": "取り込めない入出金明細",
    "unidentified_document": "申請様式のない封筒",
    "audit_sample": "抜取り監査",
    # kinds older runs opened
    "extraction_failed": "読み取りエラー",
    "low_confidence": "読み取りの確認",
    "invalid_field": "読み取りの確認",
    "unidentified_page": "様式を判別できないページ",
    "alignment": "読み取れないページ",
    "missing_form": "書類不足の確認",
    "registry_mismatch": "記載内容の照合",
    "quarantined": "受け付けられないファイル",
}
KIND_PREFIX_JA: dict[str, str] = {"crosscheck_": "記載内容の照合", "page_": "ページの確認"}


def kind_label(kind: str) -> str:
    """An item kind's one Japanese name (a kind nobody named is shown as 確認事項)."""
    if kind in KIND_JA:
        return KIND_JA[kind]
    for prefix, label in KIND_PREFIX_JA.items():
        if kind.startswith(prefix):
            return label
    return "確認事項"
