"""Japanese words and formats the review app shows (dates in Japanese, times in the
business timezone)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.extract.reading import HandwritingBasis
from pipeline.forms.labels import field_info, field_label
from pipeline.names_ja import (
    KIND_JA,
    OLD_REASONS_JA,
    PAYMENT_ACTION_JA,
    PURGED_JA,
    RULE_ACTION_JA,
    RUN_STATUS_JA,
    kind_label,
    match_rule_label,
    reason_line,
)
from pipeline.outputs.letter_text import KIND_JA as LETTER_KIND_JA
from pipeline.rules.explain import DECISION_JA, FINDING_JA
from pipeline.rules.explain import LETTER_JA as FINDING_LETTER_JA
from pipeline.rules.findings import STATUS_JA as FIELD_STATUS_JA
from pipeline.vocabulary import MatchRule

__all__ = [
    "DECISION_JA",
    "FIELD_STATUS_JA",
    "FINDING_JA",
    "KIND_JA",
    "LETTER_JA",
    "RUN_STATUS_JA",
    "field_info",
    "field_label",
    "format_age",
    "format_date",
    "format_datetime",
    "kind_label",
    "match_rule_label",
]

# a finding's letter kind and a stored letter's kind, by the one name each has
LETTER_JA: dict[str, str] = {**FINDING_LETTER_JA, **LETTER_KIND_JA}

SEVERITY_JA = {"high": "高", "normal": "中", "info": "低"}
ITEM_STATUS_JA = {
    "open": "未着手",
    "in_progress": "対応中",
    "resolved": "完了",
    "dismissed": "対応不要",
    "moot": "不要（判定が確定）",
}
PAYMENT_STATUS_JA = {
    "paid": "入金済み",
    "unpaid": "未入金",
    "underpaid": "入金不足",
    "overpaid": "過入金",
    "duplicate": "二重入金",
    "bulk": "まとめて入金",
    "review": "確認中",
    "refund": "返金",
}
MATCH_STATUS_JA = {
    "proposed": "候補（要確認）",
    "accepted": "自動で照合済み",
    "confirmed": "担当者が確認済み",
    "rejected": "取り消し",
    "refund": "返金",
}
FORM_JA = {
    "R": "合格証明書（試験結果レポート）",
    "A": "(A) 資格認定申請書",
    "B": "(B) 業務経歴証明書",
    "C": "(C) 上司もしくは監督者による証明",
    "D": "(D) 倫理綱領等の順守への宣誓書",
}
# A stored page's kind (``Page.status``, from extraction's ``PageKind``); a form page
# identified and aligned is unremarkable and gets no label.
PAGE_KIND_JA = {
    "extra": "同封物（申請様式以外）",
    "unidentified": "様式を判別できないページ",
    "unaligned": "位置合わせができないページ",
}
ACTION_JA = {
    "field.corrected": "値を修正",
    "field.confirmed": "値を確定",
    "application.received_on_overridden": "受付日を変更",
    "letter.requested": "書類の追加提出を依頼",
    "letter.created": "通知文を作成",
    "letter.listed": "通知文を印刷用にまとめた",
    "letter.sent": "通知文を送付済みにした",
    "letter.unsent": "通知文の送付済みを取り消した",
    "letter.withdrawn": "印刷前の通知文を取り下げた",
    "decision.evaluated": "判定を再実行",
    "decision.approved": "承認",
    "decision.rejected": "却下",
    "decision.withdrawn": "取下げを記録",
    "decision.superseded": "新しい申請書類に差し替え",
    "application.superseded": "新しい申請書類に差し替えられた",
    "application.supersedes": "以前の申請書類を差し替えた",
    "exception.opened": "項目を作成",
    "exception.closed": "項目を完了",
    "exception.assigned": "担当者を変更",
    "exception.dismissed": "対応不要にした",
    "exception.moot": "判定の確定により不要として完了",
    "exception.resolved": "完了にした",
    "application.payment_status": "入金の状況が変わった",
    "application.images_purged": "保存期間を過ぎた画像を削除",
    "envelope.received": "封筒を受付",
    "envelope.extracted": "封筒を読み取り",
    "envelope.duplicate": "同じ封筒の再受付（重複）",
    "envelope.failed": "封筒の読み取りに失敗",
    "envelope.quarantined": "受け付けられないファイルを隔離",
    "envelope.unidentified": "申請様式のない封筒",
    "certificate.exported": "認定証を出力",
    "user.added": "ユーザーを追加",
    "user.enabled": "ユーザーを有効にした",
    "user.disabled": "ユーザーを無効にした",
    "user.login": "ログイン",
    "user.password_set": "パスワードを設定",
    **PAYMENT_ACTION_JA,
    **RULE_ACTION_JA,
}


def action_label(action: str) -> str:
    """An audit event's action in words (an action nobody named yet: 記録)."""
    if action in ACTION_JA:
        return ACTION_JA[action]
    if action.startswith("payment."):
        return "入金の照合を更新"
    return "記録"


def format_date(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_age(opened: datetime, now: datetime) -> str:
    seconds = max(0, int((now - opened).total_seconds()))
    days = seconds // 86400
    if days >= 1:
        return f"{days}日"
    hours = seconds // 3600
    if hours >= 1:
        return f"{hours}時間"
    return f"{max(1, seconds // 60)}分"


# Reasons stored before the rules named themselves in words began "rule.id: " (after
# "（あわせて要確認）" for a review beside a failure).
_RULE_PREFIX = re.compile(r"^(（あわせて要確認）)?([a-z_]+(?:\.[a-z_]+)+):\s*", re.MULTILINE)
_FIELD_ID = re.compile(r"\b([RABCD])\.([a-z][a-z0-9_]*)\b")


def plain_reason(text: str) -> str:
    """A reason for staff: an older row's rule id as the rule's name, field ids as the
    form's labels (a reason already in words passes unchanged)."""

    def rule(match: re.Match[str]) -> str:
        return (match.group(1) or "") + reason_line(match.group(2), "")

    def label(match: re.Match[str]) -> str:
        info = field_info(match.group(1), match.group(2))
        return f"「{info.label_ja}」" if info else match.group(0)

    return _FIELD_ID.sub(label, _RULE_PREFIX.sub(rule, text))


_OLD_PURGE = re.compile(r"^retention: decided more than (\S+) years ago$")


def reason_ja(text: str) -> str:
    """A stored reason or an item's resolution, in words: what older versions wrote as
    a code (a payment action that closed an item) or in English reads as written now."""
    if text in ACTION_JA:
        return ACTION_JA[text]
    if text in OLD_REASONS_JA:
        return OLD_REASONS_JA[text]
    purge = _OLD_PURGE.match(text)
    if purge:
        return PURGED_JA.format(years=purge.group(1))
    return plain_reason(text)


# A mark's raw text, as extraction records it (``MarkEvidence.summary``): "ink=0.0379" and,
# for a checkbox found off the blank's print, " shift=+0.08,+0.34mm" (right and down, in mm),
# " box=not_found" when its printed box was not found, " crossed=line" for what crossed it.
_MARK_RAW = re.compile(
    r"^ink=(\d+\.\d+)(?: shift=([+-]\d+\.\d+),([+-]\d+\.\d+)mm)?(?: box=(not_found|squashed|by_edges))?"
    r"(?: crossed=(\w+))?$"
)


ENGINE_LABEL_JA = {"tesseract": "Tesseract", "ppocr": "PP-OCR"}
RENDITION_JA = {
    "grey": "",
    "tight": "（文字部分だけの画像）",
    "grey300": "（拡大した画像）",
    "binary": "（白黒にした画像）",
    "grey-latin": "（英数字用の読み取り）",
    "phone-zeros": "（電話番号の先頭などの 0 を 9・6 と読んだ誤りを補正）",
}


def evidence_lines(evidence: dict[str, Any] | None, raw: str | None) -> list[str]:
    """What extraction saw, line by line for staff: each engine's reading of a text field
    (what both read alike is what made it sure), how handwritten its ink looks, or a
    mark's measured ink; older rows without evidence fall back to their raw text."""
    if not evidence:
        return [raw_reading(raw)] if raw else []
    lines = []
    for reading in evidence.get("readings") or []:
        engine = ENGINE_LABEL_JA.get(str(reading.get("engine")), str(reading.get("engine")))
        where = RENDITION_JA.get(str(reading.get("rendition")), "")
        text = reading.get("text") or "（読み取れず）"
        confidence = float(reading.get("confidence") or 0.0)
        lines.append(f"{engine}{where}:「{text}」（確信度 {confidence:.2f}）")
    if "handwriting" in evidence:
        lines.append(handwriting_ja(evidence))
    mark = evidence.get("mark")
    if mark:
        lines.append(mark_reading_ja(mark))
    return lines


# What judged a field handwritten (``HandwritingBasis``), for staff.
HANDWRITING_BASIS_JA: dict[str, str] = {
    HandwritingBasis.FIELD: "この欄の文字から手書きと判定",
    HandwritingBasis.PAGE: "この欄だけでは判定できず、ページ全体の文字から手書きと判定",
    HandwritingBasis.WRITER: "この欄だけでは判定できず、同じ人が記入した様式全体の文字から手書きと判定",
}


def handwriting_ja(evidence: dict[str, Any]) -> str:
    """How handwritten a field's ink looks and what judged it so: a low score judged
    handwritten says it was its page, not this field, that decided."""
    score = float(evidence["handwriting"])
    if not evidence.get("handwritten"):
        return f"手書きらしさ {score:.2f}（印字と判定）"
    basis = HANDWRITING_BASIS_JA.get(str(evidence.get("handwritten_by")), "手書きと判定")
    return f"手書きらしさ {score:.2f}（{basis}）"


def mark_reading_ja(mark: dict[str, Any]) -> str:
    """A checkbox, signature or seal's measured ink and how its box was found, in words."""
    text = f"記入部分のインク比率 {float(mark.get('ink') or 0.0):.3f}"
    dx, dy = (float(v) for v in (mark.get("shift_mm") or (0.0, 0.0)))
    notes = []
    if dx or dy:
        parts = [
            f"{'右' if dx > 0 else '左'}に {abs(dx):.2f} mm" if dx else "",
            f"{'下' if dy > 0 else '上'}に {abs(dy):.2f} mm" if dy else "",
        ]
        notes.append(
            f"枠が印刷位置から{'・'.join(p for p in parts if p)} ずれていたため補正して判定"
        )
    if mark.get("box_found") is False:
        notes.append("印刷された枠が十分に見つかりません")
    if mark.get("squashed"):
        notes.append(
            "折れなどで枠の一辺が内側にずれて写っていたため、写っている枠の内側で判定しました"
        )
    if mark.get("by_edges"):
        notes.append("枠が薄く写っていたため、枠の線を一辺ずつ探して、その内側で判定しました")
    crossed = {
        "stamp": "受付印などの印影が重なっています",
        "line": "枠の外から続く線が重なっています",
        "passing": "枠の近くを通る線があります（記入とみなしても空欄のため、判定に影響しません）",
        "crease": "折り目やファクスの筋が枠を横切っていたため、取り除いて判定しました",
        "beside": "枠を囲む丸に隣の欄の丸や線が接していたため、枠を中心とする丸の部分だけで判定しました",
        "apart": "記入の線の先が枠の外の線や汚れの近くで終わっていたため、枠の中の記入だけで判定しました",
    }
    if mark.get("crossed_by") in crossed:
        notes.append(crossed[str(mark["crossed_by"])])
    return text + (f"（{'。'.join(notes)}）" if notes else "")


def raw_reading(raw: str) -> str:
    """What the machine read, for staff: a text field's characters as read; a checkbox,
    signature or seal's measured ink (and how far its box sat off the print) in words."""
    match = _MARK_RAW.match(raw.strip())
    if match is None:
        return raw
    ink, dx, dy, box, crossed_by = match.groups()
    mark = {
        "ink": float(ink),
        "shift_mm": (float(dx), float(dy)) if dx is not None else (0.0, 0.0),
        "box_found": box != "not_found",
        "squashed": box == "squashed",
        "by_edges": box == "by_edges",
        "crossed_by": crossed_by,
    }
    return mark_reading_ja(mark)


# How the matcher found a candidate (``candidates[].via``); a match a person made has
# its rule there instead (the item page lists it like a candidate).
VIA_JA = {
    "suffix": "合格者番号下4桁",
    "name": "振込名義",
    "employer": "勤務先（法人名義）",
    "alias": match_rule_label(MatchRule.ALIAS),
}


def via_label(via: list[str] | None) -> str:
    """What a candidate matched on, in words."""
    return "、".join(VIA_JA.get(v) or match_rule_label(v) for v in via or [])


# Why a page could not be identified or aligned (``Page.note``, written by extraction in
# English for the logs), in words staff read beside the page; a note not listed here is
# left out (the page's kind already says what happened).
_PAGE_NOTE_JA: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"registration marks found, but neither QR code nor title readable"),
        "四隅の位置合わせマークはありますが、QRコードも様式名も読み取れません",
    ),
    (
        re.compile(r"alignment residual ([\d.]+) mm exceeds ([\d.]+) mm"),
        "位置合わせの誤差 {0} mm が許容値 {1} mm を超えています",
    ),
    (
        re.compile(r"no registration marks \(.*\) and no QR code"),
        "位置合わせマークもQRコードも見つかりません",
    ),
    (re.compile(r"^no QR code(;|$)"), "QRコードが見つかりません"),
    (
        re.compile(r"page mostly dark \((\d+)% black\)"),
        "ページの {0}% が黒く写っています（濃すぎるコピーまたはスキャンです。"
        "再スキャンするか、読める写しの再送を依頼してください）",
    ),
    (
        re.compile(r"scale ([\d.]+) impossible for a scan"),
        "倍率 {0} はスキャンした用紙としてありえません",
    ),
    (re.compile(r"strong perspective distortion"), "強い遠近のゆがみがあります"),
    (
        re.compile(r"features: "),
        "位置合わせマークでも、様式の印刷との照合でも位置を合わせられません",
    ),
]


def page_note_ja(note: str | None) -> str | None:
    """A page's note in Japanese, or None when it says nothing staff could use."""
    found: list[str] = []
    for pattern, text in _PAGE_NOTE_JA:
        match = pattern.search(note or "")
        if match is not None:
            found.append(text.format(*match.groups()))
    return "。".join(found) or None
