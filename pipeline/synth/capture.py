"""An envelope's traits made concrete, then applied to each of its pages.

``plan_capture`` draws every parameter of the envelope's traits (``traits``)
from the envelope's own generator: what is the same for the whole envelope (the
stamp, the copier, where the stack was folded, the fax machine) once, what
differs from sheet to sheet (how a folded panel lies, a curl, a photograph) per
page. It also sets the scan settings the traits imply (a fax is 200-dpi
bitonal, a photograph colour at 150-250 dpi declared 72 dpi, ...).
``capture_pages`` then scans the pages with ``PageCapture`` hooked into the
scanner (``scan.degrade_page``), or photographs them. Every drawn parameter is
recorded in ``CapturePlan.details`` for the envelope's truth.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import cv2
import numpy as np

from pipeline.forms.render import rasterize_pdf
from pipeline.synth import devices, office, paper, photo
from pipeline.synth.records import ApplicantRecord
from pipeline.synth.scan import (
    Displacement,
    PageMotion,
    ScanSettings,
    degrade_page,
    paper_tone,
    place_on_glass,
)

PAGE_MM = (210.0, 297.0)
RESAVED_PAGES_MM = {"resave-b5": (182.0, 257.0), "resave-letter": (215.9, 279.4)}
FLIPPED = {"left": "right", "right": "left", "top": "bottom", "bottom": "top"}


@dataclass
class CapturePlan:
    traits: tuple[str, ...]
    settings: ScanSettings
    pages: int
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    stamp: office.Stamp | None = None
    ticks: list[office.Tick] = field(default_factory=list)
    copier: paper.CopierSettings | None = None
    creases: list[paper.Crease] = field(default_factory=list)
    holes: tuple[list[tuple[float, float]], float, float] | None = (
        None  # centres, diameter, backing
    )
    binding: tuple[str, float, float] | None = None  # sheet edge, width mm, depth
    speckle: float | None = None
    fax: devices.Fax | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def has(self, trait: str) -> bool:
        return trait in self.traits

    def note(self, trait: str, page: int, values: dict[str, Any]) -> None:
        """Record a per-page draw of ``trait`` in the details."""
        self.details.setdefault(trait, {}).setdefault("pages", {})[str(page)] = values


def plan_capture(
    record: ApplicantRecord, settings: ScanSettings, pages: int, rng: np.random.Generator
) -> CapturePlan:
    traits = tuple(record.render.traits)
    plan = CapturePlan(traits, _settings(traits, settings, rng), pages)
    if plan.settings.mode == "color":
        plan.tint = (
            1.0,
            round(float(rng.uniform(0.985, 1.0)), 3),
            round(float(rng.uniform(0.95, 1.0)), 3),
        )
    if plan.has("stamp"):
        plan.stamp = office.draw_stamp(rng, record.received_date, PAGE_MM)
        plan.details["stamp"] = {"page": 0, **asdict(plan.stamp)}
    if plan.has("margin-ticks"):
        plan.ticks = office.draw_ticks(rng, pages, PAGE_MM)
        plan.details["margin-ticks"] = {"ticks": [asdict(t) for t in plan.ticks]}
    if plan.has("photocopy"):
        plan.copier = paper.CopierSettings(
            scale=round(float(rng.uniform(0.985, 1.006)), 4),
            cut=round(float(rng.uniform(0.45, 0.7)), 3),
            softness=round(float(rng.uniform(0.06, 0.14)), 3),
            blur_mm=round(float(rng.uniform(0.04, 0.08)), 3),
            black=round(float(rng.uniform(20, 60)), 1),
            white=round(float(rng.uniform(210, 236)), 1),
            specks=round(float(rng.uniform(3e-5, 1.5e-4)), 6),
        )
        plan.details["photocopy"] = {"generations": 2, **asdict(plan.copier)}
    if plan.has("fold"):
        plan.creases = [
            paper.Crease(
                y_mm=round(float(np.clip(y + rng.normal(0, 2), y - 5, y + 5)), 1),
                tilt_deg=round(float(rng.normal(0, 0.4)), 2),
                valley=bool(rng.random() < 0.5),
                depth=round(float(rng.uniform(0.08, 0.3)), 3),
            )
            for y in (PAGE_MM[1] / 3, PAGE_MM[1] * 2 / 3)
        ]
        plan.details["fold"] = {"creases": [asdict(c) for c in plan.creases]}
    _plan_edges(plan, rng)
    if plan.has("speckle"):
        plan.speckle = round(float(rng.uniform(0.0003, 0.002)), 5)
        plan.details["speckle"] = {"density": plan.speckle}
    if plan.has("fax"):
        # sent during the previous working day
        sent = datetime.combine(record.received_date - timedelta(days=1), time(9, 0)) + timedelta(
            minutes=int(rng.integers(0, 60 * 10))
        )
        plan.fax = devices.draw_fax(rng, sent, record.phone, record.family_kana)
        plan.settings.dpi_y = 200 if plan.fax.fine else 100
        plan.details["fax"] = asdict(plan.fax)
    for key in ("color", "dither", "resave-b5", "resave-letter", "dpi-72", "curl", "photo"):
        if plan.has(key):
            plan.details.setdefault(key, {})
    return plan


def _plan_edges(plan: CapturePlan, rng: np.random.Generator) -> None:
    if plan.has("punch-holes"):
        top = rng.random() < 0.25
        along = PAGE_MM[0] / 2 if top else PAGE_MM[1] / 2
        off = float(rng.normal(0, 2))
        inset = float(rng.uniform(10, 14))
        centres = [
            (along + d + off, inset) if top else (inset, along + d + off) for d in (-40.0, 40.0)
        ]
        backing = float(rng.choice([float(rng.uniform(20, 70)), float(rng.uniform(225, 250))]))
        diameter = float(rng.uniform(5.5, 6.5))
        plan.holes = ([(round(x, 1), round(y, 1)) for x, y in centres], diameter, backing)
        plan.details["punch-holes"] = {
            "centres_mm": plan.holes[0],
            "diameter_mm": round(diameter, 2),
            "backing": round(backing),
        }
    if plan.has("binding-shadow"):
        edge = str(rng.choice(["left", "left", "left", "top", "top", "right"]))
        plan.binding = (edge, float(rng.uniform(5, 15)), float(rng.uniform(0.35, 0.8)))
        plan.details["binding-shadow"] = {
            "edge": edge,
            "width_mm": round(plan.binding[1], 1),
            "depth": round(plan.binding[2], 2),
        }


def _settings(
    traits: tuple[str, ...], base: ScanSettings, rng: np.random.Generator
) -> ScanSettings:
    """The scan settings the traits imply, over those the scanner drew."""
    s = base.model_copy()
    if "photo" in traits:
        s.device, s.mode, s.declared_dpi = "phone", "color", (72.0, 72.0)
        s.dpi = int(rng.integers(150, 251))
        s.jpeg_quality = int(rng.integers(60, 91))
    elif "fax" in traits:
        s.device, s.mode, s.dpi = "fax", "bitonal", 200
    elif "dither" in traits:
        s.mode, s.dither, s.dpi = "bitonal", True, 200
    elif "color" in traits:
        s.mode = "color"
    for key, page_mm in RESAVED_PAGES_MM.items():
        if key in traits:
            s.declared_page_mm = page_mm
    if "dpi-72" in traits:
        s.declared_dpi = (72.0, 72.0)
    return s


class PageCapture:
    """One page's traits, hooked into the scanner (``scan.PageEffects``)."""

    def __init__(
        self, plan: CapturePlan, index: int, motion: PageMotion, rng: np.random.Generator
    ) -> None:
        self.plan, self.index, self.motion, self.rng = plan, index, motion, rng
        self.dpi = plan.settings.dpi
        self.lift: paper.Lift | None = None  # a curled edge, set with the displacement
        self.moved = self._draw_displacement()

    def on_paper(self, img: np.ndarray, paper_level: float) -> np.ndarray:
        plan, rng, dpi = self.plan, self.rng, self.dpi
        if plan.copier is not None:
            for _ in range(2):
                img = paper.copy_sheet(img, dpi, plan.copier, rng)
        if img.ndim == 3 and plan.tint != (1.0, 1.0, 1.0):
            # OpenCV takes a scalar here; its stub types it as an array only
            img = cv2.multiply(img, (*plan.tint, 0.0))  # type: ignore[call-overload]
        if plan.stamp is not None and self.index == 0:
            img = office.stamp_sheet(img, dpi, plan.stamp, rng)
        ticks = [t for t in plan.ticks if t.page == self.index]
        if ticks:
            img = office.tick_sheet(img, dpi, ticks, rng)
        if plan.creases:
            img = paper.crease_shading(img, dpi, plan.creases, rng)
        if self.lift is not None:
            img = paper.edge_shadow(
                img,
                dpi,
                self.lift.edge,
                self.lift.reach_mm / 4,
                float(rng.uniform(0.04, 0.15)),
                rng,
            )
        if plan.holes is not None:
            img = paper.punch_holes(img, dpi, *plan.holes)
        return img

    def displacement(self) -> Displacement | None:
        return self.moved

    def on_scanner(self, img: np.ndarray) -> np.ndarray:
        if self.plan.binding is None:
            return img
        edge, width, depth = self.plan.binding
        if self.motion.rotation == 180:
            edge = FLIPPED[edge]
        return paper.edge_shadow(img, self.dpi, edge, width, depth, self.rng)

    def transmit(self, img: np.ndarray) -> np.ndarray | None:
        if self.plan.fax is None:
            return None
        return devices.transmit(img, self.dpi, self.plan.fax, self.index, self.plan.pages, self.rng)

    def after(self, img: np.ndarray) -> np.ndarray:
        if self.plan.speckle is None:
            return img
        return devices.speckle(img, self.plan.speckle, self.rng)

    def _draw_displacement(self) -> Displacement | None:
        plan, rng, dpi = self.plan, self.rng, self.dpi
        size = (round(paper.px(PAGE_MM[0], dpi)), round(paper.px(PAGE_MM[1], dpi)))
        fold = None
        if plan.creases:
            panels = []
            for crease, side in zip(plan.creases, (-1, 1), strict=True):
                towards = float(rng.uniform(-0.4, 1.8))  # a panel that does not lie flat
                panel = paper.Panel(
                    pivot_mm=(float(rng.uniform(40, 170)), crease.y_mm),
                    angle_deg=round(float(np.clip(rng.normal(0, 0.25), -0.6, 0.6)), 3),
                    shift_mm=(round(float(rng.normal(0, 0.8)), 2), round(-side * towards, 2)),
                )
                panels.append((panel, crease.y_mm, side))
            plan.note("fold", self.index, {"panels": [asdict(p) for p, _, _ in panels]})
            fold = paper.fold_displacement(panels, dpi, float(rng.uniform(0.6, 1.6)))
        lifts: list[paper.Lift] = []
        waves: list[paper.Wave] = []
        if plan.has("curl"):
            self.lift = paper.Lift(
                edge=str(rng.choice(["left", "right", "top", "bottom"])),
                amount_mm=round(float(rng.uniform(1.5, 4.0)), 2),
                reach_mm=round(float(rng.uniform(25, 70)), 1),
            )
            lifts.append(self.lift)
            waves = [
                paper.Wave(
                    amplitude_mm=(
                        round(float(rng.uniform(-1.2, 1.2)), 2),
                        round(float(rng.uniform(-1.2, 1.2)), 2),
                    ),
                    wavelength_mm=round(float(rng.uniform(150, 400)), 1),
                    direction_deg=round(float(rng.uniform(0, 180)), 1),
                    phase=round(float(rng.uniform(0, 2 * math.pi)), 3),
                )
                for _ in range(int(rng.integers(1, 3)))
            ]
            plan.note(
                "curl", self.index, {"lift": asdict(self.lift), "waves": [asdict(w) for w in waves]}
            )
        if plan.binding is not None:
            edge, width, _ = plan.binding
            lifts.append(paper.Lift(edge, round(float(rng.uniform(0.4, 1.8)), 2), width * 2))
        bent = paper.sheet_displacement(lifts, waves, dpi, size) if lifts or waves else None
        return paper.join(fold, bent)


def capture_pages(
    pdf: bytes,
    motions: list[PageMotion],
    plan: CapturePlan,
    nrng: np.random.Generator,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Every page of the envelope as captured with its traits."""
    settings = plan.settings
    color = settings.mode == "color"
    pages = rasterize_pdf(pdf, settings.dpi, color=color)
    if len(pages) != len(motions):
        raise ValueError(f"{len(pages)} pages rendered but {len(motions)} motions given")
    out = []
    for i, (clean, motion) in enumerate(zip(pages, motions, strict=True)):
        effects = PageCapture(plan, i, motion, rng)
        if plan.has("photo"):
            out.append(_photograph(clean, motion, effects, plan, nrng, rng))
        else:
            out.append(degrade_page(clean, motion, settings, nrng, effects))
    return out


def _photograph(
    clean: np.ndarray,
    motion: PageMotion,
    effects: PageCapture,
    plan: CapturePlan,
    nrng: np.random.Generator,
    rng: np.random.Generator,
) -> np.ndarray:
    sheet, level = paper_tone(clean, motion, nrng)
    sheet = effects.on_paper(sheet, level)
    if effects.moved is not None:
        sheet = place_on_glass(sheet, np.eye(3), level, effects.moved)
    shot = photo.draw_shot(rng)
    plan.note("photo", effects.index, asdict(shot))
    return photo.photograph(sheet, shot, motion.rotation == 180, rng)
