"""The review benchmark's bookkeeping (the browser run itself is `conken bench review`)."""

from __future__ import annotations

from pipeline.bench.review import ApplicationTally, FieldFacts, _summary, _typed_truth


def _facts(value: str | None, kind: str = "yearmonth", name: str = "exp1_from") -> FieldFacts:
    return FieldFacts(1, "B", name, kind, value, "E2024-0001")


def test_what_is_typed_is_the_truth_only_where_the_reading_is_wrong() -> None:
    assert _typed_truth(_facts("2015-04"), "2015年4月") is None  # read right: Enter only
    assert _typed_truth(_facts("2023-04"), "2015-04") == "2015-04"
    assert _typed_truth(_facts("false", kind="checkbox", name="exp1_field_4"), True) == "true"
    assert _typed_truth(_facts("2023-04"), None) is None  # the batch does not say


def test_targets_count_fields_corrections_and_manager_decisions() -> None:
    quick = ApplicationTally(1, fields_needing_person=3, page_loads=1, submits=1, keystrokes=4)
    typed = ApplicationTally(2, fields_needing_person=1, correction_chars=7, page_loads=2)
    typed.keystrokes, typed.manager_decisions, typed.reason_chars = 12, 1, 3
    assert typed.keystroke_target == 2 + 7 + 2 + 3 and typed.page_load_target == 3
    figures = _summary([quick, typed], seconds=1.0)
    assert figures["keystrokes_per_application"] == 8.0
    assert figures["page_loads_per_application"] == 1.5
    assert figures["within_keystroke_target"] == 2
    assert figures["mouse_free_share"] == 1.0


def test_a_judgement_and_a_confirmed_deposit_count_like_a_field_in_the_target() -> None:
    # 1 field + 1 judgement + 1 deposit: two keys each (choose or type, then Enter)
    tally = ApplicationTally(1, fields_needing_person=1, judgements=1, payments_confirmed=1)
    assert tally.keystroke_target == 6
    tally.reason_chars = 5  # a 認めない's typed reason
    assert tally.keystroke_target == 11
