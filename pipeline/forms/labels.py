"""What people call a field: its label on the form, and the sources of facts that come
from no form (the envelope, the passers register, the business date). The review app,
the rules' trace and the command line name fields through here, never by their id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class FieldInfo:
    """What the form templates say about a field: its label and how to read it."""

    label_ja: str
    validator: str | None = None


@lru_cache(maxsize=1)
def _template_fields() -> dict[tuple[str, str], FieldInfo]:
    try:
        from pipeline.forms.loader import default_templates

        templates = default_templates()
    except Exception:  # labels are a nicety; the field name is shown instead
        return {}
    out: dict[tuple[str, str], FieldInfo] = {}
    for template in templates.values():
        for spec in template.fields:
            out.setdefault(
                (template.form_code, spec.name), FieldInfo(spec.label_ja, spec.validator)
            )
    return out


def field_info(form_code: str, name: str) -> FieldInfo | None:
    return _template_fields().get((form_code, name))


def field_label(form_code: str, name: str) -> str:
    info = field_info(form_code, name)
    return info.label_ja if info else f"{form_code}.{name}"


FORM_JA = {
    "R": "試験結果レポート",
    "A": "様式A",
    "B": "様式B",
    "C": "様式C",
    "D": "様式D",
}
# Facts that no form holds, by where the rules took them from.
SOURCE_JA: dict[str, str] = {
    "A.qualification": "様式A「申請資格」",
    "envelope.received_on": "封筒の受付日",
    "staff.received_on_override": "担当者が入力した受付日（消印など）",
    "business_date": "判定日",
    "register.pass_number": "合格者名簿の合格者番号",
    "register.exam_type": "合格者名簿の試験種別",
    "register.result": "合格者名簿の合否",
    "register.issue_date": "合格者名簿の発行日",
    "payments.status": "認定審査手数料の入金状況",
    "payments.amount_yen": "入金額",
    "applications.approved": "認定済みの申請",
    "C.attestations": "様式Cの証明",
    "envelope.has_report": "試験結果レポートの同封",
    "envelope.has_A": "様式Aの同封",
    "envelope.has_B": "様式Bの同封",
    "envelope.has_C": "様式Cの同封",
    "envelope.has_D": "様式Dの同封",
}
_FIELD_ID = re.compile(r"^([RABCD])\.([a-z][a-z0-9_]*)$")
# A fact given in an application JSON names a few fields by the rules' words.
_RULES_NAMES = (
    (re.compile(r"^result$"), "exam_result"),
    (re.compile(r"^(sub\d+)_item$"), r"\1_name"),
    (re.compile(r"^(sub\d+)_months$"), r"\1_years"),
)


def source_label(source: str) -> str:
    """A fact's source as people read it: a form field by its label and form, anything
    else by what it is; an unknown source as it is (never dropped)."""
    if source in SOURCE_JA:
        return SOURCE_JA[source]
    match = _FIELD_ID.match(source)
    if match is None:
        return source
    form, name = match.groups()
    for pattern, template_name in _RULES_NAMES:
        name = pattern.sub(template_name, name)
    if field_info(form, name) is None:
        return source
    return f"{FORM_JA[form]}「{field_label(form, name)}」"
