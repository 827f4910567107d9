"""Every placeholder of every letter is filled, or no letter is written.

The case that started it: a JPEG named ``.pdf`` became an application with no
qualification and no name, and a letter went to 「申請者 様」 about
「プロフェッショナル資格（）」. Here each variable each template uses is emptied
in turn, and the letter must be refused with a message naming it in Japanese.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pipeline.outputs.letter_text import (
    KINDS,
    PLACEHOLDER_JA,
    LetterRefusedError,
    compose,
    placeholders,
)
from pipeline.outputs.samples import sample_values

CASES = [
    (kind, name) for kind in KINDS for name in sorted(placeholders(kind) - KINDS[kind].optional)
]


def test_every_placeholder_has_a_japanese_name_for_the_refusal_message() -> None:
    used = set().union(*(placeholders(kind) for kind in KINDS))
    assert used - KINDS["missing_documents"].optional <= set(PLACEHOLDER_JA)


@pytest.mark.parametrize(("kind", "name"), CASES)
@pytest.mark.parametrize("empty", [None, "", "　 ", []])
def test_an_empty_placeholder_refuses_the_letter(kind: str, name: str, empty: object) -> None:
    values = sample_values(kind)
    compose(kind, values)  # complete: it is written
    values[name] = empty
    with pytest.raises(LetterRefusedError) as refused:
        compose(kind, values)
    assert PLACEHOLDER_JA[name] in refused.value.message
    assert refused.value.message.startswith("通知文「")


def test_an_empty_item_in_a_list_refuses_the_letter() -> None:
    values = sample_values("missing_documents")
    values["items"] = ["(B) 業務経歴証明書", " "]
    with pytest.raises(LetterRefusedError, match="不足・不備のある書類"):
        compose("missing_documents", values)


def test_the_letter_about_nothing_to_nobody_is_refused() -> None:
    values = sample_values("missing_documents")
    values.update(category="", qualification="")
    with pytest.raises(LetterRefusedError) as refused:
        compose("missing_documents", values)
    assert "資格名" in refused.value.message and "資格の区分" in refused.value.message


def test_a_value_rendered_empty_inside_the_template_refuses_the_letter() -> None:
    values = sample_values("underpayment")
    # an object the up-front check cannot look into: the rendering itself refuses
    values["bank"] = SimpleNamespace(**{**values["bank"], "number": None})  # type: ignore[dict-item]
    with pytest.raises(LetterRefusedError, match="差し込み項目"):
        compose("underpayment", values)


def test_an_optional_note_may_be_left_out_and_is_printed_when_given() -> None:
    values = sample_values("missing_documents")
    assert "ご署名をお忘れなく" not in compose("missing_documents", values)
    values["note"] = "ご署名をお忘れなく。"
    assert "ご署名をお忘れなく。" in compose("missing_documents", values)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_letter_is_a_business_letter_with_a_subject(kind: str) -> None:
    text = compose(kind, sample_values(kind))
    first, _, body = text.partition("\n")
    assert first.startswith("件名：") and len(first) > 5
    assert body.lstrip().startswith("拝啓") and "敬具" in body
    if "記" in body.split("\n"):
        assert body.rstrip().endswith("以上")
