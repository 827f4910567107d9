"""The accuracy benchmark's arithmetic, on hand-made results (no OCR)."""

from __future__ import annotations

from pipeline.extract.bench import summarise


def _f(
    kind: str, *, correct: bool, ok: bool, hw: bool = False, decides: bool = True
) -> dict[str, object]:
    return {
        "kind": kind,
        "handwritten": hw,
        "decides": decides,
        "correct": correct,
        "ok": ok,
        "field": f"A.{kind}",
        "want": "w",
        "got": "w" if correct else "x",
    }


def test_silent_errors_review_share_and_envelope_ceiling() -> None:
    results = [
        {
            "fields": [
                _f("date", correct=True, ok=True),
                _f("date", correct=False, ok=True),
                _f("text", correct=True, ok=False, hw=True),
            ],
            "pages": [{"scan": "200dpi-bitonal", "identified": True}],
        },
        {
            "fields": [
                _f("date", correct=True, ok=True),
                _f("checkbox", correct=True, ok=False, decides=False),
            ],
            "pages": [{"scan": "200dpi-bitonal", "identified": False}],
        },
        {"error": "E-3.pdf: boom"},
    ]
    report = summarise(results, 12.0)
    assert report["envelopes"] == 2
    assert report["failures"] == ["E-3.pdf: boom"]
    date = report["typed_by_kind"]["date"]
    assert (date["fields"], date["silent_errors"]) == (3, 1)
    assert date["exact_rate"] == round(2 / 3, 4)
    assert report["typed_by_kind"]["checkbox"]["review_share"] == 1.0
    assert report["handwritten"] == {"fields": 1, "routed_to_review_share": 1.0, "silent_errors": 0}
    assert report["silent_error_rate_all_fields"] == round(1 / 5, 5)
    # Envelope 1 has a handwritten critical field under review; envelope 2's critical fields are all ok.
    assert report["envelopes_all_critical_ok_share"] == 0.5
    # Counting typed fields only, both envelopes' critical fields are ok (the checkbox does not decide).
    assert report["envelopes_all_typed_critical_ok_share"] == 1.0
    assert report["pages_identified"] == {"200dpi-bitonal": {"pages": 2, "identified": 1}}
    assert report["silent_examples"] == [{"field": "A.date", "want": "w", "got": "x"}]
    assert report["handwritten_accepted_examples"] == []


def _scored(
    score: float, *, correct: bool, hw: bool = False, fits: bool = True, agrees: bool = False
) -> dict[str, object]:
    return {
        **_f("text", correct=correct, ok=False, hw=hw),
        "score": score,
        "fits": fits,
        "agrees": agrees,
    }


def test_calibration_proposes_the_largest_thresholds_within_the_silent_budget() -> None:
    from pipeline.config import Settings
    from pipeline.extract.bench import calibration

    fields = [
        _scored(0.03, correct=True),
        _scored(0.05, correct=True),
        _scored(0.06, correct=False),  # one wrong reading accepted from 0.06 (within budget)
        _scored(0.07, correct=False),  # a second one from 0.07 (over budget)
        _scored(0.04, correct=True, hw=True, fits=False),  # handwriting off the layout: never
        _scored(0.15, correct=True, agrees=True),
        _scored(0.25, correct=True, agrees=True),
        _scored(0.3, correct=True, hw=True, fits=True, agrees=True),  # handwriting from 0.30
    ]
    padding = [_f("checkbox", correct=True, ok=True) for _ in range(392)]  # 400 fields in all
    found = calibration([{"fields": fields + padding, "pages": []}], Settings())
    assert found["wrong_allowed"] == 1
    verify = found["verify_max_score"]
    assert verify["proposed"] == 0.06
    row = next(r for r in verify["table"] if r["threshold"] == 0.07)
    assert (row["typed_wrong_accepted"], row["handwritten_accepted"]) == (2, 0)
    # Agreements are only recorded within the configured distance: no proposal above it.
    assert found["consensus_max_score"]["proposed"] == Settings().consensus_max_score
    wide = calibration(
        [{"fields": fields + padding, "pages": []}], Settings(consensus_max_score=0.35)
    )
    consensus = wide["consensus_max_score"]
    assert consensus["proposed"] == 0.29  # 0.30 would accept the handwritten field
    at_020 = next(r for r in consensus["table"] if r["threshold"] == 0.2)
    assert at_020["typed_ok_and_correct"] == 3


def test_several_seeds_are_scored_together_and_kept_apart_per_seed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pipeline.config import Settings
    from pipeline.extract import bench

    corpora = {
        11: [{"fields": [_f("date", correct=True, ok=True)], "pages": []}],
        23: [
            {"fields": [_f("date", correct=False, ok=True)], "pages": []},
            {"fields": [_f("date", correct=True, ok=False)], "pages": []},
        ],
    }
    asked: list[int] = []

    def score(count, seed, settings, *, workers):  # type: ignore[no-untyped-def]
        asked.append(seed)
        return corpora[seed], 1.5

    monkeypatch.setattr(bench, "_score_corpus", score)
    report = bench.accuracy(50, [11, 23], Settings(), workers=1)
    assert asked == [11, 23]
    assert report["envelopes"] == 3 and report["seconds"] == 3.0
    assert report["typed_total"]["silent_errors"] == 1
    assert report["per_seed"]["11"]["envelopes_all_critical_ok_share"] == 1.0
    assert report["per_seed"]["23"]["envelopes_all_critical_ok_share"] == 0.5
    assert report["per_seed"]["23"]["typed_total"]["silent_errors"] == 1
    single = bench.accuracy(50, 11, Settings(), workers=1)
    assert "per_seed" not in single and single["envelopes"] == 1
