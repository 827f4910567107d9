"""Extraction accuracy against the generator's truth, grouped so it shows generalisation.

``accuracy`` generates one corpus per seed (``pipeline.synth``: typed-value
fonts and capture traits drawn per envelope), extracts every envelope and scores
every field. Each figure is reported as a whole and per typed-value font family
and per capture trait, for each engine alone and for the combined evidence.
Font families and traits can be held out (``hold_out_fonts``,
``hold_out_traits``): the handwriting threshold is calibrated on the other
envelopes and the figures that count are the held-out envelopes'.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.bench.calibrate import calibrate_handwriting
from pipeline.bench.corpus import corpus_jobs, score_envelope
from pipeline.config import Settings

ENGINES = ("tesseract", "ppocr")
# An engine alone would take its reading at this confidence of its own (for comparison).
ENGINE_ALONE_CONFIDENCE = 0.9


def accuracy(
    count: int,
    seeds: list[int],
    settings: Settings,
    *,
    workers: int,
    fonts: list[str] | None = None,
    traits: list[str] | None = None,
    hold_out_fonts: list[str] | None = None,
    hold_out_traits: list[str] | None = None,
    calibrate: bool = False,
    corpora: list[Path] | None = None,
) -> dict[str, Any]:
    """Score ``count`` envelopes per seed (or the ``corpora`` that ``conken synth``
    wrote); calibrate on what is not held out and report the held-out part on its own."""
    frames: list[pd.DataFrame] = []
    page_frames: list[pd.DataFrame] = []
    failures: list[str] = []
    per_seed: dict[str, Any] = {}
    seconds = 0.0
    sources: list[int | Path] = list(corpora) if corpora else list(seeds)
    for seed in sources:
        if isinstance(seed, Path):
            fields, pages, failed, took = score_folder(seed, settings, workers=workers)
        else:
            fields, pages, failed, took = score_corpus(
                count, seed, settings, workers=workers, fonts=fonts, traits=traits
            )
        per_seed[str(seed)] = headline(fields)
        frames.append(fields)
        page_frames.append(pages)
        failures.extend(failed)
        seconds += took
    fields = pd.concat(frames, ignore_index=True)
    pages = pd.concat(page_frames, ignore_index=True)
    held = held_out_mask(fields, hold_out_fonts, hold_out_traits)
    report: dict[str, Any] = {
        "seeds": [str(x) for x in sources],
        "seconds": round(seconds, 1),
        "failures": failures,
        **summarise(fields, pages),
    }
    if len(sources) > 1:
        report["per_seed"] = per_seed
    if hold_out_fonts or hold_out_traits:
        page_held = held_out_mask(pages, hold_out_fonts, hold_out_traits)
        report["held_out"] = {
            "fonts": hold_out_fonts or [],
            "traits": hold_out_traits or [],
            **summarise(fields[held], pages[page_held]),
        }
        report["trained_on"] = headline(fields[~held])
    if calibrate:
        report["calibration"] = calibrate_handwriting(fields[~held], fields[held], settings)
    return report


def score_corpus(
    count: int,
    seed: int,
    settings: Settings,
    *,
    workers: int,
    fonts: list[str] | None = None,
    traits: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], float]:
    """One generated corpus scored: its fields, its form pages, its failures and the
    seconds the extraction took."""
    from pipeline.synth.batch import generate_batch
    from pipeline.synth.scan import DegradationMix

    with tempfile.TemporaryDirectory(prefix="conken-bench-") as tmp:
        out = Path(tmp)
        options: dict[str, Any] = {}
        if fonts:
            options["fonts"] = fonts
        if traits:
            options["traits"] = traits
        generate_batch(
            out, count, seed, mix=DegradationMix(formats=("pdf",)), workers=workers, **options
        )
        return score_folder(out, settings, workers=workers, seed=seed)


def score_folder(
    out: Path, settings: Settings, *, workers: int, seed: int | str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], float]:
    """A corpus ``conken synth`` wrote, every envelope scored."""
    jobs = corpus_jobs(out, settings)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(score_envelope, jobs))
    took = time.perf_counter() - started
    failures = [r["error"] for r in results if "error" in r]
    fields = pd.DataFrame([f for r in results if "error" not in r for f in r["fields"]])
    pages = pd.DataFrame([p for r in results if "error" not in r for p in r["pages"]])
    if not fields.empty:
        fields["seed"] = str(seed if seed is not None else out.name)
    return fields, pages, failures, took


def held_out_mask(
    frame: pd.DataFrame, fonts: list[str] | None, traits: list[str] | None
) -> pd.Series:
    """Rows of envelopes typed in a held-out font family or captured with a held-out trait."""
    mask = pd.Series(False, index=frame.index)
    if frame.empty:
        return mask
    if fonts:
        mask |= frame["font"].isin(fonts)
    if traits:
        mask |= frame["traits"].map(lambda found: bool(set(found) & set(traits)))
    return mask


def _rates(frame: pd.DataFrame) -> dict[str, Any]:
    n = len(frame)
    if not n:
        return {"fields": 0}
    ok = frame["ok"].astype(bool)
    correct = frame["correct"].astype(bool)
    return {
        "fields": n,
        "exact_rate": round(float(correct.mean()), 4),
        "ok_and_correct_rate": round(float((ok & correct).mean()), 4),
        "review_share": round(float(1 - ok.mean()), 4),
        "correct_but_reviewed": int((~ok & correct).sum()),
        "silent_errors": int((ok & ~correct).sum()),
    }


def _engine_alone(frame: pd.DataFrame) -> dict[str, Any]:
    """What each engine would give on its own: its exact rate, and what accepting its
    confident readings (its own confidence ≥ 0.9) would take rightly and wrongly."""
    out: dict[str, Any] = {}
    for engine in ENGINES:
        column = f"{engine}_correct"
        if column not in frame or frame.empty:
            continue
        read = frame[frame[column].notna()]  # text fields: marks are no engine's
        correct = read[column].astype(bool)
        sure = read[f"{engine}_confidence"].astype(float) >= ENGINE_ALONE_CONFIDENCE
        out[engine] = {
            "exact_rate": round(float(correct.mean()), 4),
            "sure_and_correct_rate": round(float((sure & correct).mean()), 4),
            "silent_errors_if_trusted": int((sure & ~correct).sum()),
        }
    return out


def _envelopes(fields: pd.DataFrame) -> dict[str, Any]:
    """Envelopes whose deciding fields are all accepted and correct; and the same among
    envelopes whose deciding fields are all typed."""
    critical = fields[fields["decides"].astype(bool)]
    if critical.empty:
        return {"envelopes": 0}
    accepted = (
        (critical["ok"].astype(bool) & critical["correct"].astype(bool))
        .groupby([critical["seed"], critical["envelope"]])
        .all()
    )
    typed_only = (
        (~critical["handwritten"].astype(bool))
        .groupby([critical["seed"], critical["envelope"]])
        .all()
    )
    return {
        "envelopes": len(accepted),
        "all_deciding_accepted_and_correct_share": round(float(accepted.mean()), 4),
        "typed_envelopes": int(typed_only.sum()),
        "typed_envelopes_all_deciding_accepted_and_correct_share": round(
            float(accepted[typed_only].mean()), 4
        )
        if typed_only.any()
        else None,
    }


def headline(fields: pd.DataFrame) -> dict[str, Any]:
    if fields.empty:
        return {"fields": 0}
    typed = fields[~fields["handwritten"].astype(bool)]
    silent = fields["ok"].astype(bool) & ~fields["correct"].astype(bool)
    deciding_silent = silent & fields["decides"].astype(bool)
    return {
        "typed": _rates(typed),
        "silent_errors": int(silent.sum()),
        "silent_error_rate": round(float(silent.mean()), 5),
        "deciding_silent_errors": int(deciding_silent.sum()),
        **_envelopes(fields),
    }


def summarise(fields: pd.DataFrame, pages: pd.DataFrame) -> dict[str, Any]:
    """Every figure, overall and per font family and capture trait."""
    if fields.empty:
        return {"fields": 0}
    typed = fields[~fields["handwritten"].astype(bool)]
    hand = fields[fields["handwritten"].astype(bool)]
    silent = fields[fields["ok"].astype(bool) & ~fields["correct"].astype(bool)]
    by_trait = fields.explode("traits")
    pages_by_trait = pages.explode("traits") if not pages.empty else pages
    return {
        **headline(fields),
        "typed_by_kind": {str(k): _rates(g) for k, g in typed.groupby("kind")},
        "engines_alone": _engine_alone(typed),
        "by_font": {
            str(k): {**headline(g), "engines_alone": _engine_alone(g[~g["handwritten"]])}
            for k, g in fields.groupby("font")
        },
        "by_trait": {str(k): headline(g) for k, g in by_trait.groupby("traits")},
        "handwritten": _handwritten(hand),
        "pages_identified": _pages(pages, pages_by_trait),
        "silent_examples": silent[["field", "font", "want", "got"]].head(25).to_dict("records"),
    }


def _handwritten(hand: pd.DataFrame) -> dict[str, Any]:
    """Handwriting must all go to a person; how often the proposal pre-filled is right."""
    if hand.empty:
        return {"fields": 0}
    ok = hand["ok"].astype(bool)
    return {
        "fields": len(hand),
        "routed_to_person_share": round(float(1 - ok.mean()), 4),
        "accepted_examples": hand[ok][["field", "want", "got"]].head(10).to_dict("records"),
        "proposal_exactly_right_share": round(float(hand["correct"].astype(bool).mean()), 4),
    }


def _pages(pages: pd.DataFrame, by_trait: pd.DataFrame) -> dict[str, Any]:
    if pages.empty:
        return {"pages": 0}
    return {
        "pages": len(pages),
        "identified": int(pages["identified"].sum()),
        "by_trait": {
            str(k): {"pages": len(g), "identified": int(g["identified"].sum())}
            for k, g in by_trait.groupby("traits")
        },
    }
