"""The extraction benchmark's figures as a few readable lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def _line(name: str, figures: dict[str, Any]) -> str:
    typed = figures.get("typed") or {}
    return (
        f"{name:<22} typed ok&right {_pct(typed.get('ok_and_correct_rate'))}"
        f" (exact {_pct(typed.get('exact_rate'))}, {typed.get('fields', 0)} fields)"
        f"  envelopes all deciding ok {_pct(figures.get('all_deciding_accepted_and_correct_share'))}"
        f" typed-only {_pct(figures.get('typed_envelopes_all_deciding_accepted_and_correct_share'))}"
        f"  silent {figures.get('silent_errors', 0)} (deciding {figures.get('deciding_silent_errors', 0)})"
    )


def print_accuracy(report: dict[str, Any], echo: Callable[[str], None]) -> None:
    echo(
        f"seeds {report['seeds']}: {report.get('envelopes', 0)} envelopes in {report['seconds']} s"
    )
    echo(_line("all", report))
    for seed, figures in report.get("per_seed", {}).items():
        echo(_line(f"seed {seed}", figures))
    for font, figures in report.get("by_font", {}).items():
        echo(_line(f"font {font}", figures))
    for trait, figures in report.get("by_trait", {}).items():
        echo(_line(f"trait {trait}", figures))
    for engine, figures in report.get("engines_alone", {}).items():
        echo(
            f"{engine + ' alone':<22} exact {_pct(figures['exact_rate'])}, sure and right "
            f"{_pct(figures['sure_and_correct_rate'])}, wrong if trusted "
            f"{figures['silent_errors_if_trusted']}"
        )
    hand = report.get("handwritten", {})
    if hand.get("fields"):
        echo(
            f"handwritten: {hand['fields']} fields, {_pct(hand['routed_to_person_share'])} to a "
            f"person, proposal exactly right {_pct(hand['proposal_exactly_right_share'])}"
        )
    pages = report.get("pages_identified", {})
    echo(f"pages identified: {pages.get('identified', 0)}/{pages.get('pages', 0)}")
    for trait, row in pages.get("by_trait", {}).items():
        if row["identified"] < row["pages"]:
            echo(f"  {trait}: {row['identified']}/{row['pages']}")
    if "held_out" in report:
        held = report["held_out"]
        echo(_line(f"HELD OUT {','.join(held['fonts'] + held['traits'])}", held))
    for example in report.get("silent_examples", [])[:10]:
        echo(f"silent: {example}")
    for failure in report.get("failures", []):
        echo(f"failed: {failure}")
    calibration = report.get("calibration")
    if calibration and calibration.get("fitted"):
        echo(
            f"handwriting: proposed weights {calibration['weights']} bias {calibration['bias']}"
            f" threshold {calibration['proposed_threshold']}; train {calibration['train']};"
            f" held out {calibration['held_out']}; configured {calibration['configured']}"
        )
