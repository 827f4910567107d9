"""What goes in every field: the printed text and the normalised truth.

``page_plan(record)`` lists the form pages the applicant fills, in the order of
the association's checklist, with each field's printed value (a string, or a
bool for checkboxes, signatures and seals) and its normalised truth value.
Normalised: dates ``YYYY-MM-DD``; year-months ``YYYY-MM`` or ``present``;
katakana as written (full-width, family and given name separated by a
full-width space); checkboxes, signatures, seals true/false; exam type as its
code (CAP…EN); exam result ``pass`` / ``fail``; substitution years as a number
string (``"1.5"``); empty fields ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline.forms.schema import FieldKind, FormTemplate
from pipeline.synth.records import ApplicantRecord

EXAM_NAMES = {
    "CAP": "コンタクトセンターアーキテクチャ",
    "OMP": "オペレーションマネジメント",
    "SV": "スーパーバイザー",
    "OP": "オペレーター",
    "EN": "エントリー",
}
ATT_PER_PAGE = 3
EXP_PER_PAGE = 8

Printed = str | bool
Truth = str | bool | None


@dataclass
class PagePlan:
    form_code: str
    page: int
    printed: dict[str, Printed] = field(default_factory=dict)
    truth: dict[str, Truth] = field(default_factory=dict)

    def set(self, name: str, printed: Printed, truth: Truth) -> None:
        self.printed[name] = printed
        self.truth[name] = truth


def fmt_date(d: date, style: str) -> str:
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "padded":
        return f"{d.year}/{d.month:02d}/{d.day:02d}"
    return f"{d.year}年{d.month}月{d.day}日"


def fmt_ym(ym: str, style: str) -> str:
    if ym == "present":
        return "現在"
    year, month = ym.split("-")
    if style == "slash":
        return f"{year}/{int(month)}"
    if style == "padded":
        return f"{year}/{month}"
    return f"{year}年{int(month)}月"


def fmt_years(years: float) -> str:
    return str(int(years)) if years == int(years) else f"{years:g}"


def page_plan(record: ApplicantRecord) -> list[PagePlan]:
    """Every form page of the applicant's set (before any page goes missing)."""
    ds = record.render.date_style
    plans = [_report(record), _application(record, ds)]
    plans += _career(record, ds)
    plans += _attestations(record, ds)
    plans.append(_oath(record, ds))
    return plans


def _report(r: ApplicantRecord) -> PagePlan:
    p = PagePlan("R", 1)
    rep = r.report
    p.set("pass_number", rep.pass_number, rep.pass_number)
    p.set("name_kanji", r.name_kanji, r.name_kanji)
    p.set("name_kana", r.name_kana, r.name_kana)
    p.set("exam_type", f"{rep.exam_type}　{EXAM_NAMES[rep.exam_type]}", rep.exam_type)
    p.set("exam_result", "合格" if rep.passed else "不合格", "pass" if rep.passed else "fail")
    p.set("exam_date", fmt_date(rep.exam_date, "kanji"), rep.exam_date.isoformat())
    p.set("issue_date", fmt_date(rep.issue_date, "kanji"), rep.issue_date.isoformat())
    return p


def _application(r: ApplicantRecord, ds: str) -> PagePlan:
    p = PagePlan("A", 1)
    p.set("application_date", fmt_date(r.application_date, ds), r.application_date.isoformat())
    p.set("qual_cap", r.qualification == "CAP", r.qualification == "CAP")
    p.set("qual_omp", r.qualification == "OMP", r.qualification == "OMP")
    p.set("name_kana", r.name_kana, r.name_kana)
    p.set("name_kanji", r.name_kanji, r.name_kanji)
    p.set("birth_date", fmt_date(r.birth_date, ds), r.birth_date.isoformat())
    p.set("postcode", r.postcode, r.postcode)
    p.set("address", r.address, r.address)
    p.set("phone", r.phone, r.phone)
    if r.email:
        p.set("email", r.email, r.email)
    p.set("pass_number", r.report.pass_number, r.report.pass_number)
    p.set("report_issue_date", fmt_date(r.report.issue_date, ds), r.report.issue_date.isoformat())
    p.set("signature", r.signed_application, r.signed_application)
    p.set("seal", r.seal, r.seal)
    return p


def _career(r: ApplicantRecord, ds: str) -> list[PagePlan]:
    pages = [PagePlan("B", 1)]
    if len(r.experiences) > EXP_PER_PAGE:
        pages.append(PagePlan("B", 2))
    for p in pages:
        p.set("applicant_name", r.name_kanji, r.name_kanji)
    for n, exp in enumerate(r.experiences, start=1):
        p = pages[(n - 1) // EXP_PER_PAGE]
        p.set(f"exp{n}_org", exp.org, exp.org)
        if exp.dept:
            p.set(f"exp{n}_dept", exp.dept, exp.dept)
        p.set(f"exp{n}_from", fmt_ym(exp.start, ds), exp.start)
        p.set(f"exp{n}_to", fmt_ym(exp.end, ds), exp.end)
        for f in exp.fields:
            p.set(f"exp{n}_field_{f}", True, True)
    for n, sub in enumerate(r.substitutions, start=1):
        pages[0].set(f"sub{n}_name", sub.name, sub.name)
        pages[0].set(f"sub{n}_date", fmt_ym(sub.date, ds), sub.date)
        pages[0].set(f"sub{n}_years", fmt_years(sub.years), fmt_years(sub.years))
    return pages


def _attestations(r: ApplicantRecord, ds: str) -> list[PagePlan]:
    count = max(1, -(-len(r.attestations) // ATT_PER_PAGE))
    pages = [PagePlan("C", i + 1) for i in range(count)]
    for p in pages:
        p.set("applicant_name", r.name_kanji, r.name_kanji)
    for k, att in enumerate(r.attestations, start=1):
        p = pages[(k - 1) // ATT_PER_PAGE]
        p.set(f"att{k}_row", str(att.row), str(att.row))
        p.set(f"att{k}_org", att.org, att.org)
        p.set(f"att{k}_from", fmt_ym(att.start, ds), att.start)
        p.set(f"att{k}_to", fmt_ym(att.end, ds), att.end)
        p.set(f"att{k}_name", att.attester_name, att.attester_name)
        if att.attester_title:
            p.set(f"att{k}_title", att.attester_title, att.attester_title)
        if att.attester_contact:
            p.set(f"att{k}_contact", att.attester_contact, att.attester_contact)
        p.set(f"att{k}_signature", att.signed, att.signed)
        p.set(f"att{k}_date", fmt_date(att.date, ds), att.date.isoformat())
    return pages


def _oath(r: ApplicantRecord, ds: str) -> PagePlan:
    p = PagePlan("D", 1)
    d = r.oath_date or r.application_date
    p.set("oath_date", fmt_date(d, ds), d.isoformat())
    p.set("name_kanji", r.name_kanji, r.name_kanji)
    p.set("signature", r.oath_signed, r.oath_signed)
    p.set("seal", r.seal, r.seal)
    return p


def full_truth(plan: PagePlan, template: FormTemplate) -> dict[str, Truth]:
    """Truth for every field of the page: unfilled text null, unticked boxes false."""
    out: dict[str, Truth] = {}
    for spec in template.fields:
        if spec.name in plan.truth:
            out[spec.name] = plan.truth[spec.name]
        elif spec.kind in (FieldKind.CHECKBOX, FieldKind.SIGNATURE, FieldKind.SEAL):
            out[spec.name] = False
        else:
            out[spec.name] = None
    return out
