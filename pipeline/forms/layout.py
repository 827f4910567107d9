"""Where the PC-fillable form prints a typed value.

One rule, shared by the form filler (``synth.fill``) and the extractor's
placement check: the value is set in the field's font size (``font_pt``),
shrunk to fit the box less a small inset, left-aligned or centred as the
template says, and centred vertically with the baseline at 0.88 of the size.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.forms.schema import FieldSpec

PT_PER_MM = 72.0 / 25.4
INSET_MM = 0.8  # from the box's left edge to the text
ROOM_LESS_MM = 1.0  # the text's room is the box width less this
MIN_SIZE_PT = 6.0  # long values shrink to fit, never below this
BASELINE_AT = 0.88  # baseline below the text block's top, as a share of the size


@dataclass(frozen=True)
class TypedPlacement:
    x_mm: float  # start of the text's advance, from the box's left edge
    baseline_mm: float  # from the box's top edge
    size_pt: float


def typed_placement(spec: FieldSpec, width_per_pt: float) -> TypedPlacement:
    """Placement of a value whose advance width is ``width_per_pt`` pt per pt of font size."""
    box = spec.box_mm
    room_mm = box.w - ROOM_LESS_MM
    size = spec.font_pt
    if width_per_pt * size / PT_PER_MM > room_mm:
        size = max(MIN_SIZE_PT, room_mm * PT_PER_MM / width_per_pt)
    width_mm = width_per_pt * size / PT_PER_MM
    x = INSET_MM + ((room_mm - width_mm) / 2 if spec.align == "center" else 0.0)
    size_mm = size / PT_PER_MM
    return TypedPlacement(x, (box.h - size_mm) / 2 + BASELINE_AT * size_mm, size)
