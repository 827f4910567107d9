"""The kinds of letter and their text, from the templates in ``templates/letters/``.

A template is plain text with Jinja placeholders; what it renders is the
letter's 件名 (first line, ``件名：…``) and body, written as a Japanese
business letter (拝啓 … 敬具, then 記 … 以上 for the particulars). The
recipient, the date, the sender and the reference numbers are not in the
text: the page layout (:mod:`pipeline.outputs.letter_pdf`) places them.

**Every placeholder is filled.** Before rendering, each variable the template
uses must have a value that is not empty (no ``None``, blank text, empty list
or empty item), and while rendering, any ``{{ … }}`` that comes out empty
refuses the letter. A refused letter raises :class:`LetterRefusedError` naming
what is missing in Japanese; it is never written with a gap (no letter to
「申請者 様」 about 「プロフェッショナル資格（）」).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, meta
from jinja2.exceptions import UndefinedError

from pipeline.errors import TemplateError, ValidationError

SUBJECT_PREFIX = "件名："


@dataclass(frozen=True)
class LetterKind:
    code: str
    title_ja: str  # the one name of the kind: report, review app, CSV
    optional: frozenset[str] = frozenset()  # variables that may be left out

    @property
    def template(self) -> str:
        return f"letters/{self.code}.txt"


KINDS: dict[str, LetterKind] = {
    k.code: k
    for k in (
        LetterKind("missing_documents", "書類不足のお知らせ", frozenset({"note"})),
        LetterKind("unsigned_forms", "署名漏れのお知らせ"),
        LetterKind("underpayment", "手数料不足のお知らせ"),
        LetterKind("payment_reminder", "手数料未入金のお知らせ"),
        LetterKind("refund_notice", "返金のお知らせ"),
        LetterKind("not_required", "認定申請不要のお知らせ"),
    )
}
KIND_JA: dict[str, str] = {code: kind.title_ja for code, kind in KINDS.items()}

# What each placeholder is, for the refusal message staff read.
PLACEHOLDER_JA: dict[str, str] = {
    "name": "宛名（氏名）",
    "postcode": "宛先の郵便番号",
    "address": "宛先の住所",
    "qualification": "資格名",
    "category": "資格の区分",
    "items": "不足・不備のある書類",
    "fee_yen": "認定審査手数料",
    "paid_yen": "入金額",
    "owed_yen": "不足額",
    "payer_example": "振込名義の例（合格者番号の下4桁）",
    "bank": "振込先口座",
    "documents_postcode": "書類の送付先の郵便番号",
    "documents_address": "書類の送付先",
    "contact_email": "問い合わせ先のメールアドレス",
    "received_on": "書類の受付日",
    "deposit_on": "入金日",
    "deposit_yen": "入金額",
    "refund_yen": "返金額",
    "refund_reason": "返金の理由",
    "application_id": "申請番号",
    "pass_number": "合格者番号",
}
REFUND_REASON_JA = {
    "duplicate": "二重のお振込み",
    "overpaid": "認定審査手数料を超えるお振込み",
}


class LetterRefusedError(ValidationError):
    """A letter that cannot be written as it should be (an empty placeholder, no address)."""

    def __init__(self, kind: str, missing: list[str], *, reason: str | None = None) -> None:
        title = KIND_JA.get(kind, kind)
        why = reason or f"{'、'.join(missing)}が空です"
        super().__init__(f"通知文「{title}」を送付できません: {why}。")
        self.kind = kind
        self.missing = missing
        self.reason = reason


class _EmptyOutputError(Exception):
    pass


def _finalize(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _EmptyOutputError
    return value


def _yen(value: int) -> str:
    return f"{int(value):,}円"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline.outputs", "templates"),
        autoescape=False,  # plain text, laid out by reportlab  # noqa: S701
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["yen"] = _yen
    return env


def is_empty(value: Any) -> bool:
    """No usable value: None, blank text, an empty collection or one with an empty part."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping):
        return not value or any(is_empty(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return not value or any(is_empty(v) for v in value)
    return False


@cache
def placeholders(kind: str) -> frozenset[str]:
    """The variables the kind's template uses."""
    env = environment()
    assert env.loader is not None
    source = env.loader.get_source(env, KINDS[kind].template)[0]
    return frozenset(meta.find_undeclared_variables(env.parse(source)))


def compose(kind: str, values: Mapping[str, Any]) -> str:
    """The letter's 件名 and body, every placeholder filled, or :class:`LetterRefusedError`."""
    if kind not in KINDS:
        raise TemplateError(f"no letter template for kind {kind!r} (known: {', '.join(KINDS)})")
    spec = KINDS[kind]
    needed = placeholders(kind) - spec.optional
    empty = sorted(name for name in needed if is_empty(values.get(name)))
    if empty:
        raise LetterRefusedError(kind, [PLACEHOLDER_JA.get(name, name) for name in empty])
    context = {name: values.get(name) for name in spec.optional}
    context.update(values)
    try:
        text = environment().get_template(spec.template).render(**context)
    except _EmptyOutputError as e:
        raise LetterRefusedError(kind, ["差し込み項目"]) from e
    except UndefinedError as e:
        raise TemplateError(f"letter template {spec.template}: {e}") from e
    first = text.split("\n", 1)[0]
    if not first.startswith(SUBJECT_PREFIX) or not first.removeprefix(SUBJECT_PREFIX).strip():
        raise TemplateError(
            f"letter template {spec.template} must begin with 「{SUBJECT_PREFIX}…」"
        )
    return text.rstrip() + "\n"
