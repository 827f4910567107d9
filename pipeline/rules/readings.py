"""Our reading of the manual: every threshold and interpretation in ONE place.

The association's manual (2019-10 edition, ``shared/000_…txt``) is terse in places.
Each constant below quotes the passage it reads and says how we read it. Checks,
dates and the decision import from here and nowhere else, so that a change of
reading is a change of this file (and of ``RULES_REVISION``).

Readings
--------
* Qualification — (イ)「各資格の資格取得の違い」: only CAP and OMP need certification
  (認定「必要」); SV, OP and EN are granted by passing the exam alone (認定「不要」).
* ① Exam — (ウ) 基準①: the exam result report (試験結果レポート = 合格証明書) must show a
  pass in the qualification applied for, and must agree with the passers register.
  「有効期間は、発行日から3年間」: valid through the day before the third anniversary of
  its issue date (2021-06-15 → last valid day 2024-06-14; a 29 February issue's
  anniversary in a common year is 1 March, so the last day is 28 February). What
  counts is the envelope's received date (staff may override it, e.g. by the
  postmark), never the date the applicant wrote.
* ② Experience — (ウ) 基準②: periods are inclusive year-month ranges, 現在 ends at the
  received month, overlaps count once. 「5年以上」= at least 60 months (union) plus
  substitution; ※1「資格取得・研修受講による代替が最大2年まで」= substitution credits at
  most 24 months in total, only for items in the recognised table
  (``substitutions.yaml``; an unknown item → review); 「最低2分野」= at least 2 distinct
  fields ticked across all periods; ※2 at least 24 months (union) in periods that tick a
  required field: OMP 4 or 5, CAP 6 or 7 (the manual's note names field 7
  「コンタクトセンター情報通信システム」, the table calls it「ICTマネジメント」: same
  field). Substitution does not count toward the 24.
* Attestation — ※業務経験の証明について: every period needs a signed attestation (form C)
  by a superior at the organisation of that period. An attestation naming a different
  organisation → review (a current employer's superior may not attest a past
  employer's experience); a superior who has since left is fine (we do not check it).
* ③ Oath — form (D) signed.
* ④ Fee — 11,000 yen matched by the payments stage. 「認定審査手数料の入金を確認した時点で
  申請を受理します」: paid, overpaid and duplicate (paid in full, then paid again) pass —
  the payments stage refunds the surplus or the second deposit; unpaid, underpaid and
  bulk are "not yet" (waiting); the payments stage's own "review" is review.
* Completeness — (エ): the report copy and forms A–D must all be in the envelope.
* Dates — (イ) C: the first certification is valid from the first 1 April strictly after
  the pass certificate's issue date (2023-04-01 → 2024-04-01; 2023-03-31 →
  2023-04-01) for three fiscal years (1 April – 31 March), so to 31 March three years
  on. Renewal applications are accepted「3ヶ月前から1ヶ月前(1月～2月末)」: from 1 January
  to the last day of February before expiry (29 February in a leap year).
* Already certified — (イ) C: the application decides the *first* certification
  (最初の能力認定), valid for three fiscal years; after that the qualification is
  renewed by a renewal application (更新審査申請) in its own window, and 「資格は3年毎に
  更新」. So one candidate (pass number) holds one certification per qualification: a
  new application when another of the same sure pass number and qualification is
  already approved is a resent copy, a mistake or a renewal sent the wrong way, and
  approving it would number a second certificate. A person decides (review, a
  judgement); the manual says nothing of such an envelope, so nothing is rejected or
  approved on it automatically. Earlier applications that ended otherwise (rejected,
  withdrawn, superseded, not required) do not count: a new one is a re-application.
* Missing documents — while a document is known to be missing, the rules that read
  it (``Readings.rule_documents``) are held back (not applicable) unless they pass:
  the completeness finding asks for the document and the application waits.
* Outstanding items — a failed fee, completeness, oath or attestation-present check is
  something the applicant (or the payments desk) can still supply: the application
  waits (pending) for ``unpaid_wait_days`` from its received date, then goes to review.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigurationError
from pipeline.vocabulary import PaymentOutcome

# bump when a reading below changes (r2: a duplicate payment is paid; r3: already certified)
RULES_REVISION = "r3"
DEFAULT_SUBSTITUTIONS_PATH = Path(__file__).resolve().parent / "substitutions.yaml"

# --- manual sections (quoted in findings) ---------------------------------------------

SECTION_QUALIFICATION = "(イ) 各資格の資格取得の違い"
SECTION_EXAM = "(ウ) 基準①『検定試験への合格』"
SECTION_EXAM_VALIDITY = "(ウ) 基準① ※検定試験への合格について"
SECTION_EXPERIENCE_TOTAL = "(ウ) 基準②『業務経験の証明』 ※1"
SECTION_EXPERIENCE_FIELDS = "(ウ) 基準②『業務経験の証明』 ※2"
SECTION_ATTESTATION = "(ウ) 基準② ※業務経験の証明について"
SECTION_OATH = "(ウ) 基準③『倫理綱領…順守への宣誓』"
SECTION_FEE = "(ウ) 基準④『認定審査手数料の支払い』"
SECTION_DOCUMENTS = "(エ) 申請手続き【申請時における協会への送付物】"
SECTION_DATES = "(イ) C. 最初の能力認定の有効期間"
SECTION_ALREADY_CERTIFIED = "(イ) C. 最初の能力認定の有効期間・更新審査申請"

# --- letters a finding may ask staff to send ---------------------------------------------

LETTER_MISSING_DOCUMENTS = "missing_documents"
LETTER_UNSIGNED_OATH = "unsigned_oath"
LETTER_UNDERPAYMENT = "underpayment"
LETTER_NO_CERTIFICATION_NEEDED = "no_certification_needed"

# --- the seven fields -----------------------------------------------------------------------

FIELD_NAMES: dict[int, str] = {
    1: "コンタクトセンター戦略",
    2: "カスタマーサービス",
    3: "CRM",
    4: "オペレーション",
    5: "ヒューマンリソースマネジメント",
    6: "センターアーキテクト",
    7: "ICTマネジメント（コンタクトセンター情報通信システム）",
}

DOCUMENT_NAMES: dict[str, str] = {
    "report": "合格証明書（試験結果レポート）のコピー",
    "A": "(A) 資格認定申請書",
    "B": "(B) 業務経歴証明書",
    "C": "(C) 上司もしくは監督者による証明",
    "D": "(D) 倫理綱領・職業倫理規定および継続教育・学習方針の順守への宣誓書",
}


@dataclass(frozen=True)
class SubstitutionItem:
    """One recognised qualification or training and the most months it can credit."""

    code: str
    kind: str
    name_ja: str
    months: int
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.code, self.name_ja, *self.aliases)


@dataclass(frozen=True)
class Readings:
    """The rule set's parameters. Build with :func:`load_readings`."""

    certification_required: frozenset[str] = frozenset({"CAP", "OMP"})
    certification_not_required: frozenset[str] = frozenset({"SV", "OP", "EN"})
    required_fields: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {"OMP": (4, 5), "CAP": (6, 7)}
    )
    min_total_months: int = 60
    min_required_field_months: int = 24
    min_distinct_fields: int = 2
    substitution_cap_months: int = 24
    exam_report_valid_years: int = 3
    certification_fiscal_years: int = 3
    fiscal_year_start_month: int = 4
    renewal_window_months: tuple[int, int] = (1, 2)  # January .. end of February
    passing_results: frozenset[str] = frozenset({"pass", "合格"})
    failing_results: frozenset[str] = frozenset({"fail", "不合格"})
    paid_statuses: frozenset[str] = frozenset(
        {PaymentOutcome.PAID, PaymentOutcome.OVERPAID, PaymentOutcome.DUPLICATE}
    )
    waiting_statuses: frozenset[str] = frozenset(
        {PaymentOutcome.UNPAID, PaymentOutcome.UNDERPAID, PaymentOutcome.BULK}
    )
    outstanding_rules: frozenset[str] = frozenset(
        {"fee.paid", "completeness.documents", "oath.signed", "attestation.present"}
    )
    # Which documents each rule reads. While one of them is known to be missing from
    # the envelope, a rule that does not pass is held back (not_applicable): the
    # completeness finding asks for the document and the application waits.
    rule_documents: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "qualification.needs_certification": ("A",),
            "exam.passed": ("report", "A"),
            "exam.valid_on_receipt": ("report",),
            "exam.matches_register": ("report",),
            "experience.total_months": ("B",),
            "experience.field_count": ("B",),
            "experience.required_field_months": ("A", "B"),
            "experience.substitution_recognised": ("B",),
            "attestation.present": ("B", "C"),
            "attestation.same_organisation": ("B", "C"),
            "oath.signed": ("D",),
        }
    )
    substitutions: tuple[SubstitutionItem, ...] = ()
    substitutions_digest: str = "none"

    @property
    def ruleset_version(self) -> str:
        """Rules revision plus a digest of the substitution table (fits String(16))."""
        return f"{RULES_REVISION}-{self.substitutions_digest[:8]}"

    def find_substitution(self, name: str) -> SubstitutionItem | None:
        """The recognised item named ``name`` (code, name or alias), or None."""
        key = normalise_name(name)
        for item in self.substitutions:
            if any(normalise_name(n) == key for n in item.names()):
                return item
        return None


def normalise_name(text: str) -> str:
    """Compare names loosely: NFKC, case-folded, without spaces and middle dots."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "・･")


def load_readings(path: Path | None = None) -> Readings:
    """Readings with the substitution table from ``path`` (default: the bundled YAML)."""
    source = path or DEFAULT_SUBSTITUTIONS_PATH
    try:
        raw_text = source.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigurationError(f"substitution table not readable: {source}: {e}") from e
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as e:
        raise ConfigurationError(f"substitution table {source} is not valid YAML: {e}") from e
    items = _parse_items(raw, source)
    digest = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()
    return Readings(substitutions=items, substitutions_digest=digest)


def _parse_items(raw: Any, source: Path) -> tuple[SubstitutionItem, ...]:
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise ConfigurationError(f"substitution table {source}: expected a mapping with 'items'")
    items: list[SubstitutionItem] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw["items"]):
        where = f"substitution table {source}: items[{position}]"
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected a mapping")
        missing = [k for k in ("code", "kind", "name_ja", "months") if k not in entry]
        if missing:
            raise ConfigurationError(f"{where}: missing {', '.join(missing)}")
        months = entry["months"]
        if not isinstance(months, int) or isinstance(months, bool) or months <= 0:
            raise ConfigurationError(f"{where}: months must be a positive integer")
        if entry["kind"] not in ("qualification", "training"):
            raise ConfigurationError(f"{where}: kind must be qualification or training")
        aliases = tuple(str(a) for a in entry.get("aliases") or ())
        item = SubstitutionItem(
            code=str(entry["code"]),
            kind=str(entry["kind"]),
            name_ja=str(entry["name_ja"]),
            months=months,
            aliases=aliases,
        )
        for name in item.names():
            key = normalise_name(name)
            if key in seen:
                raise ConfigurationError(f"{where}: name {name!r} is listed twice")
            seen.add(key)
        items.append(item)
    return tuple(items)
