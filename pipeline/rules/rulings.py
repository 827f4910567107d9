"""A person's ruling on a finding only a person can judge, and how the rules read it.

Some review findings are not about an uncertain reading but about a judgement the
manual leaves to a person: a certifier from another organisation, a substitution
item not on the association's list, a pass number the register does not hold, a
candidate already certified in the qualification. Such a finding carries
``details["judgement"]``: the facts it judged (``judged``), a fingerprint of them
(``key``), the question and the facts in words.

A person answers 認める (the finding counts as met) or 認めない (not met), with a
reason. The ruling is keyed by the rule and the fingerprint, so it applies only
while the facts are the ones the person saw: correct the organisation, and the
fingerprint changes, the ruling no longer matches and the finding asks again.

Why a ruling never rejects by itself: 認めない turns the finding into a failure,
so the decision becomes 不認定（案）, which a manager confirms or not; rejecting
stays a manager's act (``store.reject``).

Pure: rulings come in with the facts (``ApplicationFacts.rulings``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.rules.facts import Ruling
from pipeline.rules.findings import Finding
from pipeline.vocabulary import FindingOutcome

#: What a person is asked, by rule (the rules that can be judged, and only those).
QUESTIONS_JA: dict[str, str] = {
    "attestation.same_organisation": (
        "経歴と別の企業・組織に所属する方の証明を、この経歴の証明として認めますか。"
    ),
    "experience.substitution_recognised": (
        "認められた一覧にない代替項目を、申請どおりの月数で算入することを認めますか。"
    ),
    "exam.matches_register": (
        "合格者名簿にない合格者番号ですが、試験実施機関への照会などで合格を確認できましたか。"
    ),
    "certification.not_already_certified": (
        "既に認定済みの方ですが、この申請を二重認定ではない新たな認定として審査を続けることを"
        "認めますか（同じ書類の再送・二重送付なら「認めない」）。"
    ),
}
ACCEPT_JA = "認める"
REJECT_JA = "認めない"


def fingerprint(rule_id: str, judged: Any) -> str:
    """A stable key of what was judged: any change of the judged facts changes it."""
    text = json.dumps([rule_id, judged], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def judgement(
    rule_id: str, judged: Any, facts_ja: str, fields: Iterable[str | None] = ()
) -> dict[str, Any]:
    """The ``details["judgement"]`` of a finding a person can judge.

    ``fields``: the readings judged (``B.exp1_org`` …), for the screen to show beside the
    question; not part of the key, which is about values, not where they were read.
    """
    return {
        "key": fingerprint(rule_id, judged),
        "judged": judged,
        "question_ja": QUESTIONS_JA[rule_id],
        "facts_ja": facts_ja,
        "fields": [f for f in fields if f],
    }


def find_ruling(rulings: Iterable[Ruling], rule_id: str, key: str) -> Ruling | None:
    """The latest ruling on exactly these facts (a later ruling replaces an earlier one)."""
    found = None
    for ruling in rulings:
        if ruling.rule_id == rule_id and ruling.key == key:
            found = ruling
    return found


def ruled_message(facts_ja: str, section: str, ruling: Ruling) -> str:
    """The finding's message once ruled: the facts, who ruled what and when, the manual."""
    met = "満たす" if ruling.accepted else "満たさない"
    return f"{facts_ja}。担当者の判断{ruling.words()}により、{section}の基準を{met}ものとします。"


def apply_rulings(findings: Sequence[Finding], rulings: Sequence[Ruling]) -> list[Finding]:
    """Each judgeable review finding that a ruling answers becomes a pass (or a fail)."""
    out = []
    for finding in findings:
        asked = finding.details.get("judgement")
        ruling = None
        if finding.outcome == FindingOutcome.REVIEW and isinstance(asked, dict):
            ruling = find_ruling(rulings, finding.rule_id, str(asked.get("key")))
        if ruling is None:
            out.append(finding)
            continue
        out.append(ruled(finding, ruling))
    return out


def ruled(finding: Finding, ruling: Ruling) -> Finding:
    """``finding`` as ``ruling`` settles it (the judgement and the ruling stay in details)."""
    asked = finding.details.get("judgement") or {}
    facts_ja = str(asked.get("facts_ja") or finding.message_ja)
    return finding.model_copy(
        update={
            "outcome": FindingOutcome.PASS if ruling.accepted else FindingOutcome.FAIL,
            "message_ja": ruled_message(facts_ja, finding.manual_section, ruling),
            "details": {**finding.details, "ruling": ruling.model_dump(mode="json")},
        }
    )
