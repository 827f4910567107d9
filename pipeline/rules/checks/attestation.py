"""Attestation: every period attested (form C) by a superior of the same organisation."""

from __future__ import annotations

import re
import unicodedata

from pipeline.rules.facts import ApplicationFacts, period_row
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import LETTER_MISSING_DOCUMENTS, SECTION_ATTESTATION, Readings
from pipeline.rules.rulings import judgement
from pipeline.vocabulary import FindingOutcome

RULE_PRESENT = "attestation.present"
RULE_SAME_ORG = "attestation.same_organisation"

_LEGAL_FORMS = re.compile(
    r"(株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|公益社団法人|"
    r"公益財団法人|特定非営利活動法人|\(株\)|\(有\)|\(同\)|co\.?,?ltd\.?|inc\.?|corporation|corp\.?)"
)


def normalise_organisation(name: str) -> str:
    """Organisation names compared without legal forms, spaces and punctuation."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _LEGAL_FORMS.sub("", text)
    return "".join(ch for ch in text if ch.isalnum())


def check_present(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    missing: list[int] = []
    unsigned: list[int] = []
    for position, period in enumerate(app.experience):
        n = period_row(period, position)
        if period.attestation is None:
            used.plain(f"att{n}.present", False, "C.attestations")
            missing.append(n)
            continue
        if used.fact(f"att{n}.signed", period.attestation.signed) is False:
            unsigned.append(n)
    if used.uncertain:
        return used.review_uncertain(RULE_PRESENT, SECTION_ATTESTATION)
    if not app.experience:
        return used.finding(
            RULE_PRESENT,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_ATTESTATION,
            "経歴の記入がありません。",
        )
    if missing or unsigned:
        parts = []
        if missing:
            parts.append(f"証明書 (C) がない経歴: {missing}")
        if unsigned:
            parts.append(f"証明者の署名がない経歴: {unsigned}")
        return used.finding(
            RULE_PRESENT,
            FindingOutcome.FAIL,
            SECTION_ATTESTATION,
            "；".join(parts) + "。上司・監督者の署名入り証明書の送付を依頼してください。",
            details={"missing_rows": missing, "unsigned_rows": unsigned},
            letter_kind=LETTER_MISSING_DOCUMENTS,
        )
    return used.finding(
        RULE_PRESENT,
        FindingOutcome.PASS,
        SECTION_ATTESTATION,
        f"すべての経歴（{len(app.experience)}件）に署名入りの証明書 (C) があります。",
    )


def check_same_organisation(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    pairs: list[tuple[int, str, str]] = []
    read_from: dict[int, tuple[str | None, str | None]] = {}
    for position, period in enumerate(app.experience):
        if period.attestation is None:
            continue
        n = period_row(period, position)
        org = used.fact(f"exp{n}.organisation", period.organisation)
        attesting = used.fact(f"att{n}.organisation", period.attestation.organisation)
        pairs.append((n, org, attesting))
        read_from[n] = (period.organisation.field_id, period.attestation.organisation.field_id)
    if used.uncertain:
        return used.review_uncertain(RULE_SAME_ORG, SECTION_ATTESTATION)
    if not pairs:
        return used.finding(
            RULE_SAME_ORG,
            FindingOutcome.NOT_APPLICABLE,
            SECTION_ATTESTATION,
            "照合する証明書 (C) がありません。",
        )
    different = [
        (n, org, attesting)
        for n, org, attesting in pairs
        if normalise_organisation(org) != normalise_organisation(attesting)
    ]
    if different:
        lines = "；".join(f"経歴{n}: 在籍「{o}」／証明「{a}」" for n, o, a in different)
        facts_ja = f"証明者の所属が経歴の企業・組織と異なります（{lines}）"
        # The compared names themselves are judged: a corrected name asks again.
        judged = [[n, o, a] for n, o, a in different]
        return used.finding(
            RULE_SAME_ORG,
            FindingOutcome.REVIEW,
            SECTION_ATTESTATION,
            f"{facts_ja}。現在の在籍企業の上司による"
            "証明では過去の在籍企業での経験の証明にならない場合があります。確認してください。",
            details={
                "different_rows": [n for n, _, _ in different],
                "judgement": judgement(
                    RULE_SAME_ORG,
                    judged,
                    facts_ja,
                    [f for n, _, _ in different for f in read_from[n]],
                ),
            },
        )
    return used.finding(
        RULE_SAME_ORG,
        FindingOutcome.PASS,
        SECTION_ATTESTATION,
        "すべての証明書 (C) が経歴と同じ企業・組織の上司・監督者によるものです。",
    )
