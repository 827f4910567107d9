"""Completeness: the report copy and forms A–D are all in the envelope ((エ))."""

from __future__ import annotations

from pipeline.rules.facts import DOCUMENT_PREFIXES, ApplicationFacts
from pipeline.rules.findings import Finding, Used
from pipeline.rules.readings import (
    DOCUMENT_NAMES,
    LETTER_MISSING_DOCUMENTS,
    SECTION_DOCUMENTS,
    Readings,
)
from pipeline.vocabulary import FindingOutcome

RULE = "completeness.documents"


def absent_documents(app: ApplicationFacts) -> list[str]:
    """Keys of the documents confidently known to be missing from the envelope."""
    out = []
    for key in DOCUMENT_PREFIXES:
        present = getattr(app.documents, key)
        if present.confident and present.value is False:
            out.append(key)
    return out


def check_documents(app: ApplicationFacts, readings: Readings) -> Finding:
    used = Used()
    for key in DOCUMENT_PREFIXES:
        used.fact(f"document_{key}", getattr(app.documents, key))
    if used.uncertain:
        return used.review_uncertain(RULE, SECTION_DOCUMENTS)
    missing = absent_documents(app)
    if not missing:
        return used.finding(
            RULE, FindingOutcome.PASS, SECTION_DOCUMENTS, "必要な書類5点がすべて揃っています。"
        )
    names = "、".join(DOCUMENT_NAMES[k] for k in missing)
    return used.finding(
        RULE,
        FindingOutcome.FAIL,
        SECTION_DOCUMENTS,
        f"次の書類が同封されていません: {names}。送付を依頼してください。",
        details={"missing_documents": missing},
        letter_kind=LETTER_MISSING_DOCUMENTS,
    )
