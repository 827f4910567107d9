"""How the paper travelled and was captured: the traits an envelope's scan may carry.

Each trait is drawn per envelope with its own probability (``TRAITS``, in this
order); several combine, except those that cannot happen together (a page is
photographed, faxed or scanned, not two of these; a fax is bitonal, never in
colour). A trait that conflicts with one drawn before it is skipped. The keys
are stable: the truth and the benchmark group envelopes by them.
``docs/synth.md`` says how each is drawn; ``paper``, ``capture`` and
``photo`` draw them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import ValidationError


@dataclass(frozen=True)
class Trait:
    key: str
    probability: float  # per envelope, in the default mix
    what: str


TRAITS: dict[str, Trait] = {
    t.key: t
    for t in (
        Trait("photo", 0.06, "photographed with a phone on a desk: perspective, light, JPEG"),
        Trait("fax", 0.06, "faxed: bitonal 200x100 or 200x200 dpi, streaks, header line"),
        Trait("dither", 0.06, "200-dpi bitonal, error-diffused (Floyd-Steinberg)"),
        Trait("color", 0.25, "a colour scan: RGB outputs, red seals and stamps"),
        Trait("stamp", 0.5, "the office's received-date stamp (受付印) on the first page"),
        Trait("fold", 0.35, "folded in three for a 長形3号 envelope: creases, shifted panels"),
        Trait("curl", 0.2, "the sheet did not lie flat: smooth displacement of a few mm"),
        Trait("photocopy", 0.08, "a photocopy of a photocopy: grey, specks, lost thin strokes"),
        Trait("binding-shadow", 0.1, "the shadow of a bound edge on a flatbed"),
        Trait("punch-holes", 0.1, "two filing holes punched at the left or top edge"),
        Trait("margin-ticks", 0.25, "staff's red or black check marks in the margins"),
        Trait("speckle", 0.12, "salt-and-pepper speckle"),
        Trait("resave-b5", 0.03, "re-saved: the PDF page declared B5, the A4 image scaled in"),
        Trait("resave-letter", 0.03, "re-saved: the PDF page declared Letter, the image fitted"),
        Trait("dpi-72", 0.03, "the image declared at 72 dpi instead of its resolution"),
    )
}
DEFAULT_PROBABILITIES: tuple[tuple[str, float], ...] = tuple(
    (t.key, t.probability) for t in TRAITS.values()
)
DEVICES = ("photo", "fax", "dither")
RESAVES = ("resave-b5", "resave-letter", "dpi-72")
_CONFLICTS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        *((a, b) for a in DEVICES for b in DEVICES if a < b),
        *((a, b) for a in RESAVES for b in RESAVES if a < b),
        ("color", "fax"),
        ("color", "dither"),
        ("photo", "color"),  # a photograph is in colour already
        ("photo", "binding-shadow"),
        ("photo", "speckle"),
        ("fax", "binding-shadow"),
        *(("photo", r) for r in RESAVES),  # a phone declares its own 72 dpi
    ]
)


def trait_problem(keys: Iterable[str]) -> str | None:
    """Why these traits cannot be one envelope's, or None."""
    keys = list(keys)
    unknown = [k for k in keys if k not in TRAITS]
    if unknown:
        return f"unknown trait(s) {', '.join(unknown)}; known: {', '.join(TRAITS)}"
    clashes = sorted(
        " and ".join(sorted(pair)) for pair in _CONFLICTS if pair <= set(keys) and len(pair) == 2
    )
    if clashes:
        return f"traits that cannot happen together: {'; '.join(clashes)}"
    return None


def check_traits(keys: Iterable[str]) -> None:
    problem = trait_problem(keys)
    if problem:
        raise ValidationError(problem)


def parse_traits(text: str) -> list[str]:
    """Trait keys from ``KEY[,KEY]``; unknown or conflicting keys are a ValidationError."""
    keys = sorted({k.strip() for k in text.split(",") if k.strip()})
    if not keys:
        raise ValidationError(f"no trait given; known: {', '.join(TRAITS)}")
    check_traits(keys)
    return keys


def draw_traits(rng: random.Random, probabilities: Iterable[tuple[str, float]]) -> list[str]:
    """One envelope's traits: each with its probability, skipping conflicts with earlier ones."""
    chosen: list[str] = []
    for key, p in probabilities:
        if rng.random() < p and trait_problem([*chosen, key]) is None:
            chosen.append(key)
    return sorted(chosen)
