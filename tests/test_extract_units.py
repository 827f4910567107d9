"""Finding and aligning form pages on small generated images, at any scale."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract.crops import clean_text_crop, only_stray_lines, remove_rulings
from pipeline.extract.identify import PageKind, dark_share, identify_page, layout_of
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.imaging.align import MM_PER_INCH, AlignmentFailed, align_by_markers

DPI = 150


@pytest.fixture(scope="module")
def templates():  # type: ignore[no-untyped-def]
    return load_templates()


@pytest.fixture(scope="module")
def blank_a(templates):  # type: ignore[no-untyped-def]
    return render_blank_page_image(templates[("A", 1)], DPI)


def _warp(
    image: np.ndarray, angle: float, shift: tuple[float, float], upside_down: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, 2] += shift
    out = cv2.warpAffine(image, m, (w, h), borderValue=255)
    full = np.vstack([m, [0, 0, 1]])
    if upside_down:
        out = cv2.rotate(out, cv2.ROTATE_180)
        flip = np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=np.float64)
        full = flip @ full
    return out, full


@pytest.mark.parametrize(("angle", "upside_down"), [(2.0, False), (-1.5, True)])
def test_alignment_recovers_a_known_warp(
    templates, blank_a, angle: float, upside_down: bool
) -> None:
    layout = layout_of(templates[("A", 1)])
    scanned, forward = _warp(blank_a, angle, (12.0, -9.0), upside_down)
    alignment = align_by_markers(scanned, layout, DPI)
    assert alignment.residual_mm < 0.3
    assert alignment.rotation == (180 if upside_down else 0)
    # A template point, sent through the known warp and back through ours, lands where it started.
    px_per_mm = DPI / MM_PER_INCH
    point = np.array([[[100 * px_per_mm, 150 * px_per_mm]]])
    there = cv2.perspectiveTransform(point, forward)
    back = cv2.perspectiveTransform(there, alignment.homography)
    assert np.linalg.norm(back - point) / px_per_mm < 0.5


def test_alignment_refuses_a_page_without_marks() -> None:
    page = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(page, "cover letter", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 5)
    layout_markers = {
        0: (13.0, 13.0, 12.0),
        1: (197.0, 13.0, 12.0),
        2: (197.0, 284.0, 12.0),
        3: (13.0, 284.0, 12.0),
    }
    from pipeline.imaging.align import MarkerLayout

    with pytest.raises(AlignmentFailed):
        align_by_markers(page, MarkerLayout(layout_markers, (210.0, 297.0)), DPI)


def test_a_mark_outside_its_corner_region_is_found_on_the_whole_page(templates, blank_a) -> None:
    from pipeline.imaging.align import detect_markers_in_corners

    layout = layout_of(templates[("A", 1)])
    page = blank_a.copy()
    # Move the top-left mark (14 mm from the edges) to the middle of the page's left edge.
    px = DPI / MM_PER_INCH
    cx, cy, size = layout.markers[0]
    half = round(size / 2 * px) + 3
    x0, y0 = round(cx * px) - half, round(cy * px) - half
    mark = page[y0 : y0 + 2 * half, x0 : x0 + 2 * half].copy()
    page[y0 : y0 + 2 * half, x0 : x0 + 2 * half] = 255
    ym = page.shape[0] // 2
    page[ym : ym + 2 * half, x0 : x0 + 2 * half] = mark
    found, _ = detect_markers_in_corners(page, layout)
    assert sorted(found) == sorted(layout.markers)
    assert abs(found[0][:, 1].mean() - (ym + half)) < 3


def test_a_page_without_any_mark_gets_one_coarse_whole_look(monkeypatch, templates) -> None:
    import pipeline.imaging.align as align_mod

    page = np.full((3508, 2480), 255, np.uint8)  # A4 at 300 dpi
    cv2.putText(page, "Dear association", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    searched: list[tuple[int, ...]] = []
    real = align_mod.detect_markers

    def spy(image, layout, *, enough=None):  # type: ignore[no-untyped-def]
        searched.append(image.shape)
        return real(image, layout, enough=enough)

    monkeypatch.setattr(align_mod, "detect_markers", spy)
    found, _ = align_mod.detect_markers_in_corners(page, layout_of(templates[("A", 1)]))
    assert found == {}
    # The four corners, then the whole page once, reduced (a photographed sheet's marks
    # are not in the image's corners; a cover letter has none and costs one cheap look).
    assert len(searched) == 5 and max(searched[-1]) <= align_mod.OVERVIEW_SIDE_PX


def test_identify_reads_the_qr_and_turns_the_page_upright(templates, blank_a) -> None:
    scanned, _ = _warp(blank_a, 1.0, (5.0, 5.0), upside_down=True)
    identity = identify_page(scanned, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.FORM
    assert identity.key == ("A", 1)
    assert identity.identified_by == "qr"
    assert identity.alignment is not None and identity.alignment.rotation == 180


@pytest.mark.parametrize("key", [("A", 1), ("C", 2), ("C", 5)])
def test_a_page_whose_qr_code_is_lost_is_named_by_its_printed_title_and_label(
    templates, key: tuple[str, int]
) -> None:
    """A copy of a copy blots the QR code out. The title names (A); the six (C) pages share
    one title, and the footer's form label (様式C-2) says which page it is."""
    page = render_blank_page_image(templates[key], 300)
    qr = templates[key].qr.box_mm
    px = 300 / MM_PER_INCH
    x, y, w, h = (round(v * px) for v in (qr.x, qr.y, qr.w, qr.h))
    page[y : y + h, x : x + w] = 40  # the copier's black blot
    identity = identify_page(page, 300, templates, work_dpi=300, max_residual_mm=2.0)
    assert (identity.kind, identity.key, identity.identified_by) == (
        PageKind.FORM,
        key,
        "title_ocr",
    )


def test_a_page_without_marks_or_qr_is_an_extra_page(templates) -> None:
    page = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(page, "Dear association", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    identity = identify_page(page, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.EXTRA
    assert "dark" not in (identity.note or "")


def test_a_page_too_dark_to_read_says_so(templates, blank_a) -> None:
    """A photocopy of a photocopy scanned bitonal at a high threshold comes out nearly all
    black (held-out seed 409, E409-0042: five pages, marks and QR code lost): staff are told
    the page is too dark, not only that nothing was found on it. A form page is not."""
    from pipeline.review.labels import page_note_ja

    page = np.zeros_like(blank_a)  # the copier's black, and the light patches it left
    rows, cols = page.shape[:2]
    for k in range(6):
        centre = (cols * (1 + 2 * (k % 3)) // 6, rows * (1 + 2 * (k // 3)) // 4)
        cv2.circle(page, centre, cols // 10, 255, -1)
    identity = identify_page(page, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.EXTRA
    shown = page_note_ja(identity.note)
    assert shown is not None and "黒く写っています" in shown and "%" in shown
    assert dark_share(blank_a) < 0.2


@pytest.mark.parametrize(("paper", "short_mm"), [("B5", 182.0), ("Letter", 215.9), ("A5", 148.0)])
def test_a_form_page_re_saved_at_another_paper_size_is_aligned_by_its_marks(
    templates, tmp_path, paper: str, short_mm: float
) -> None:
    """A scan re-saved at B5, Letter or A5 declares a page the A4 form does not fill as
    printed; the marks say where the sheet is, whatever the file declares."""
    from PIL import Image

    from pipeline.imaging.raster import page_images

    dpi = 200
    blank = render_blank_page_image(templates[("A", 1)], dpi)
    scale = short_mm / 210.0
    small = cv2.resize(blank, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    path = tmp_path / f"{paper}.pdf"
    Image.fromarray(small).save(path, format="PDF", resolution=float(dpi))
    (page,) = page_images(path, "application/pdf", dpi=DPI, max_pixels=10**9)
    identity = identify_page(page.image, page.dpi, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.FORM and identity.key == ("A", 1)
    assert identity.alignment is not None and identity.alignment.residual_mm < 0.5


def test_an_image_declared_at_72_dpi_is_read_at_its_real_resolution(templates, tmp_path) -> None:
    from PIL import Image

    from pipeline.imaging.raster import page_images

    blank = render_blank_page_image(templates[("A", 1)], DPI)
    path = tmp_path / "declared-72.png"
    Image.fromarray(blank).save(path, dpi=(72, 72))
    (page,) = page_images(path, "image/png", dpi=300, max_pixels=10**9)
    assert abs(page.dpi - DPI) < 2  # 72 would make a sheet of 61 cm
    identity = identify_page(page.image, page.dpi, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.FORM


def test_a_photographed_sheet_on_a_desk_is_found_and_aligned(templates) -> None:
    """The sheet in the middle of a larger frame, in perspective, the desk around it."""
    blank = render_blank_page_image(templates[("A", 1)], DPI)
    h, w = blank.shape
    frame = np.full((int(h * 1.6), int(w * 1.7)), 70, np.uint8)  # a dark desk
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    ox, oy = w * 0.35, h * 0.3
    placed = np.float32(
        [[ox + 30, oy], [ox + w - 10, oy + 40], [ox + w + 25, oy + h], [ox - 20, oy + h - 30]]
    )
    matrix = cv2.getPerspectiveTransform(corners, placed)
    sheet = cv2.warpPerspective(blank, matrix, frame.shape[::-1], borderValue=0)
    mask = cv2.warpPerspective(np.full_like(blank, 255), matrix, frame.shape[::-1])
    photo = np.where(mask > 0, sheet, frame).astype(np.uint8)
    identity = identify_page(photo, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.FORM and identity.key == ("A", 1)


def test_a_glyph_touching_the_crops_edge_keeps_its_strokes() -> None:
    """A value typed near the top of its box reaches the read area's edge: its vertical
    strokes (長, 木, 1) are no ruling, however the image border is treated; a ruling
    down the whole crop still is one."""
    ink = np.zeros((113, 515), np.uint8)
    ink[0:45, 60:65] = 255  # the left stroke of a tall glyph, from the very top
    ink[10:14, 60:100] = 255
    ink[:, 300:303] = 255  # a cell separator, top to bottom
    ink[60:110, 400:404] = 255  # a stroke touching the bottom edge
    cleaned, removed = remove_rulings(ink, 300)
    assert cleaned[0:45, 60:65].all() and cleaned[60:110, 400:404].all()
    assert not cleaned[:, 300:303].any() and removed >= 1


def test_a_voiced_mark_typed_at_the_top_edge_is_no_ruling_stub() -> None:
    """ジ typed at the very top of its box: its voiced mark touches the crop's edge and is
    thin, but no longer than it is tall — a stub the crop cut off a ruling is a sliver."""
    ink = np.zeros((113, 515), np.uint8)
    ink[20:60, 100:104] = 255  # the glyph's body
    for step in range(7):  # two short diagonal strokes from the top edge
        ink[step, 110 + step] = ink[step, 118 + step] = 255
    ink[0:2, 200:260] = 255  # a ruling's sliver along the top edge
    cleaned, _ = remove_rulings(ink, 300)
    assert cleaned[0:7, 110:125].sum() == ink[0:7, 110:125].sum()
    assert not cleaned[0:2, 200:260].any()


def test_a_streak_through_a_glyph_takes_the_streak_and_leaves_the_glyph() -> None:
    """A fax streak across the crop touching コ: one piece, long and thin for its length,
    but a glyph hangs on it — only the streak goes."""
    ink = np.zeros((113, 515), np.uint8)
    for x in range(515):  # the streak, the crop's whole width, a pixel down every 40
        ink[50 + x // 40 : 53 + x // 40, x] = 255
    ink[35:39, 200:240] = 255  # コ: top, right side, bottom
    ink[35:80, 236:240] = 255
    ink[76:80, 200:240] = 255
    cleaned, _ = remove_rulings(ink, 300)
    assert not cleaned[:, 0:190].any() and not cleaned[:, 250:].any()
    assert cleaned[35:39, 200:240].all() and cleaned[76:80, 200:240].all()
    assert cleaned[40:52, 236:240].all() and cleaned[62:76, 236:240].all()


def test_a_ruling_bent_by_a_fold_still_goes_whole() -> None:
    ink = np.zeros((113, 515), np.uint8)
    for x in range(40, 480):  # drifts 9 px (0.8 mm) over 37 mm
        ink[50 + x // 50 : 52 + x // 50, x] = 255
    cleaned, _ = remove_rulings(ink, 300)
    assert not cleaned.any()


def test_a_lone_speck_goes_and_a_full_stop_stays() -> None:
    gray = np.full((113, 515), 255, np.uint8)
    gray[30:80, 100:106] = 0  # a glyph
    gray[74:80, 112:118] = 0  # a full stop beside it
    gray[30:80, 124:130] = 0  # the next glyph
    gray[20:25, 400:405] = 0  # a speck of toner, far from any ink
    crop = clean_text_crop(gray, 300, pad=0)
    assert (crop.image[74:80, 112:118] == 0).all()
    assert (crop.image[20:25, 400:405] == 255).all()


def test_glyphs_on_the_shadowed_side_of_a_photographed_crop_are_kept() -> None:
    """A phone photograph: the paper falls from light grey on the right to dark grey on
    the left. One threshold made the left half one black blob, dropped with its glyphs."""
    width = 900
    paper = np.linspace(105, 200, width, dtype=np.float32)
    gray = np.tile(paper, (113, 1))
    for left in range(60, 840, 60):  # a glyph every 5 mm, a little darker than its paper
        gray[35:75, left : left + 8] = paper[left] * 0.35
    gray = gray.astype(np.uint8)
    crop = clean_text_crop(gray, 300, pad=0)
    for left in range(60, 840, 60):
        assert (crop.image[40:70, left + 2 : left + 6] == 0).mean() > 0.9, left
    assert (crop.image[5:25, :] == 255).all()  # the dark paper is paper


def test_a_hairline_stroke_whose_serif_alone_is_dark_is_kept() -> None:
    """雄一 in Mincho on a blurred scan: 一 is a light grey hairline with a small dark serif
    at its end, 3 mm from 雄. Dropped as a lone speck, both engines read 松本雄."""
    gray = np.full((113, 515), 252, np.uint8)
    gray[30:80, 100:106] = 25  # 雄, the glyph before it
    gray[54:57, 142:178] = 175  # 一's hairline, 3 mm long
    gray[51:57, 176:181] = 35  # its serif, the only part darker than Otsu's cut
    gray[20:25, 400:405] = 35  # a speck of toner with no stroke to it
    crop = clean_text_crop(gray, 300, pad=0)
    assert (crop.image[54:57, 142:178] == 0).mean() > 0.8
    assert (crop.image[20:25, 400:405] == 255).all()


def test_a_faint_voiced_mark_beside_its_glyph_is_kept_and_a_faint_speck_is_not() -> None:
    """パ on a light scan: the glyph dark, its small ring light grey and a hair apart from
    it, below Otsu's cut. Left out, both engines read ハ. A faint dot of a pixel or two
    beside a glyph is paper noise and stays out."""
    gray = np.full((113, 515), 245, np.uint8)
    gray[40:80, 100:106] = 20  # the glyph's two strokes
    gray[40:80, 130:136] = 20
    cv2.circle(gray, (143, 36), 5, 170, 2)  # the ring, 0.3 mm from the stroke
    gray[60:62, 300:302] = 170  # a faint dot beside the next glyph
    gray[40:80, 304:310] = 20
    crop = clean_text_crop(gray, 300, pad=0)
    assert (crop.image[31:42, 138:149] == 0).sum() >= 20
    assert (crop.image[60:62, 300:302] == 255).all()


def _typed(text: str, at: tuple[int, int], size_px: int = 42) -> np.ndarray:
    """A 20 x 9.6 mm text box at 300 dpi with ``text`` typed in IPAex Gothic."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (236, 113), 255)
    face = ImageFont.truetype("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", size_px)
    ImageDraw.Draw(image).text(at, text, font=face, fill=0)
    return np.array(image)


def test_a_ruling_corner_a_fold_moved_into_an_empty_box_is_no_value() -> None:
    """A fold moved one panel of the sheet a millimetre: in an empty period cell, the
    corner of its rulings shows at the box's edge (the engines read it as 1 or ー). Left
    alone there, thin straight strokes are no value; a typed value, even one of straight
    strokes only (田中一) or beside such a corner, is."""
    corner = np.full((113, 236), 255, np.uint8)
    corner[4:64, 222:226] = 0  # the stub of a vertical ruling, near the right edge
    corner[4:8, 196:226] = 0  # and its corner's arm
    corner[104:107, 60:110] = 0  # a dash of a crease, near the bottom edge
    assert only_stray_lines(clean_text_crop(corner, 300))
    assert not only_stray_lines(clean_text_crop(_typed("田中一", (40, 35)), 300))
    beside = np.minimum(_typed("2019/3", (20, 35)), corner)
    assert not only_stray_lines(clean_text_crop(beside, 300))
    # The same strokes in the middle of the box are someone's, not a ruling's.
    middle = np.full((113, 236), 255, np.uint8)
    middle[30:90, 110:114] = 0
    assert not only_stray_lines(clean_text_crop(middle, 300))
