"""Extraction steps on small generated images: alignment, marks, verification, cross-checks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.extract import marks
from pipeline.extract.crops import clean_text_crop, mm_to_px
from pipeline.extract.crosscheck import cross_check
from pipeline.extract.fields import FieldRead
from pipeline.extract.identify import PageKind, identify_page, layout_of
from pipeline.extract.verify import compare
from pipeline.forms.loader import load_templates
from pipeline.forms.render import render_blank_page_image
from pipeline.forms.schema import Box
from pipeline.imaging.align import MM_PER_INCH, AlignmentFailed, align_by_markers
from pipeline.storage.models import FieldStatus, RegistryEntry

DPI = 150
GOTHIC = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"


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


def test_a_page_without_any_mark_is_not_searched_whole(monkeypatch, templates) -> None:
    import pipeline.imaging.align as align_mod

    page = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(page, "Dear association", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    searched: list[tuple[int, ...]] = []
    real = align_mod.detect_markers

    def spy(image, layout, *, enough=None):  # type: ignore[no-untyped-def]
        searched.append(image.shape)
        return real(image, layout, enough=enough)

    monkeypatch.setattr(align_mod, "detect_markers", spy)
    found, _ = align_mod.detect_markers_in_corners(page, layout_of(templates[("A", 1)]))
    assert found == {}
    assert len(searched) == 4 and page.shape not in searched  # the four corners only


def test_identify_reads_the_qr_and_turns_the_page_upright(templates, blank_a) -> None:
    scanned, _ = _warp(blank_a, 1.0, (5.0, 5.0), upside_down=True)
    identity = identify_page(scanned, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.FORM
    assert identity.key == ("A", 1)
    assert identity.identified_by == "qr"
    assert identity.alignment is not None and identity.alignment.rotation == 180


def test_a_page_without_marks_or_qr_is_an_extra_page(templates) -> None:
    page = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(page, "Dear association", (100, 300), cv2.FONT_HERSHEY_SIMPLEX, 2, 0, 4)
    identity = identify_page(page, DPI, templates, work_dpi=DPI, max_residual_mm=2.0)
    assert identity.kind == PageKind.EXTRA


def _checkbox_page(template_box: Box, draw) -> np.ndarray:  # type: ignore[no-untyped-def]
    page = np.full((mm_to_px(297, DPI), mm_to_px(210, DPI)), 255, np.uint8)
    x, y = mm_to_px(template_box.x, DPI), mm_to_px(template_box.y, DPI)
    w, h = mm_to_px(template_box.w, DPI), mm_to_px(template_box.h, DPI)
    draw(page, x, y, w, h)
    return page


def test_checkbox_ticked_empty_and_doubtful(templates) -> None:
    box = templates[("A", 1)].field("qual_cap").box_mm

    def tick(p, x, y, w, h):  # type: ignore[no-untyped-def]
        cv2.line(p, (x + 2, y + h // 2), (x + w // 3, y + h - 2), 0, 3)
        cv2.line(p, (x + w // 3, y + h - 2), (x + w - 2, y + 2), 0, 3)

    def nothing(p, x, y, w, h):  # type: ignore[no-untyped-def]
        return None

    def speck(p, x, y, w, h):  # type: ignore[no-untyped-def]
        cv2.line(p, (x + w // 2, y + h // 2), (x + w // 2 + 3, y + h // 2), 0, 2)

    def circle(p, x, y, w, h):  # type: ignore[no-untyped-def]
        cv2.circle(p, (x + w // 2, y + h // 2), int(w * 0.75), 0, 2)

    circled = marks.read_checkbox(_checkbox_page(box, circle), box, DPI)
    assert (circled.present, circled.certain) == (True, True)
    ticked = marks.read_checkbox(_checkbox_page(box, tick), box, DPI)
    empty = marks.read_checkbox(_checkbox_page(box, nothing), box, DPI)
    doubtful = marks.read_checkbox(_checkbox_page(box, speck), box, DPI)
    assert (ticked.present, ticked.certain) == (True, True)
    assert (empty.present, empty.certain) == (False, True)
    assert not doubtful.certain


@pytest.mark.parametrize("ticked", [False, True])
def test_a_checkbox_a_third_of_a_millimetre_off_and_blurred_is_judged_on_its_own_print(
    templates, ticked: bool
) -> None:
    """A sheet fed unevenly leaves a box off between the corner marks; blurred, its
    printed square then spills outside the blank's tolerance like a circle round it
    (27 empty boxes of one 200-dpi envelope read as ticked before)."""
    dpi = 300
    template = templates[("A", 1)]
    box = template.field("qual_cap").box_mm
    blank = render_blank_page_image(template, dpi)
    page = np.full_like(blank, 255)
    off = (mm_to_px(0.17, dpi), mm_to_px(0.34, dpi))  # what the corpus's envelope showed
    page[off[1] :, off[0] :] = blank[: blank.shape[0] - off[1], : blank.shape[1] - off[0]]
    if ticked:
        x, y = mm_to_px(box.x, dpi) + off[0], mm_to_px(box.y, dpi) + off[1]
        w, h = mm_to_px(box.w, dpi), mm_to_px(box.h, dpi)
        cv2.line(page, (x + 4, y + h // 2), (x + w // 3, y + h - 4), 0, 4)
        cv2.line(page, (x + w // 3, y + h - 4), (x + w - 4, y + 4), 0, 4)
    page = cv2.erode(cv2.GaussianBlur(page, (0, 0), 1.6), np.ones((2, 2), np.uint8))
    dx, dy = marks.local_shift_mm(page, blank, box.inset(-marks.AROUND_MM), dpi)
    assert abs(dx - 0.17) < 0.1 and abs(dy - 0.34) < 0.1
    read = marks.judge_checkbox(*marks.checkbox_ratios(page, box, dpi, blank))
    assert (read.present, read.certain) == (ticked, True)


def test_signature_presence_by_ink(templates) -> None:
    box = templates[("D", 1)].field("signature").box_mm

    def scribble(p, x, y, w, h):  # type: ignore[no-untyped-def]
        pts = np.array(
            [[x + 10 + i * 8, y + h // 2 + int(10 * np.sin(i))] for i in range(25)], np.int32
        )
        cv2.polylines(p, [pts], False, 0, 2)

    signed = marks.read_signature(_checkbox_page(box, scribble), box, DPI)
    blank = marks.read_signature(_checkbox_page(box, lambda *a: None), box, DPI)
    assert signed.present and signed.certain
    assert not blank.present and blank.certain


def _text_crop(text: str, height: int = 60) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(GOTHIC, 40)
    im = Image.new("L", (40 * len(text) + 40, height), 255)
    ImageDraw.Draw(im).text((10, 8), text, font=font, fill=0)
    return np.asarray(im)


def test_verification_prefers_the_right_reading() -> None:
    crop = clean_text_crop(_text_crop("2022年9月10日"), 300)
    ink = 255 - crop.image
    right = compare(ink, "2022年9月10日", (GOTHIC,))
    wrong_digit = compare(ink, "2022年9月16日", (GOTHIC,))
    wrong_length = compare(ink, "2022年9月1日", (GOTHIC,))
    assert right is not None and wrong_digit is not None and wrong_length is not None
    assert right.score < 0.05
    assert wrong_digit.score > right.score
    assert wrong_length.score > right.score + 0.03


def _read(
    key: str, value: str | None, status: FieldStatus = FieldStatus.OK, *, fits: bool = True
) -> FieldRead:
    form, name = key.split(".")
    return FieldRead(
        form_code=form,
        form_page=1,
        name=name,
        label_ja=name,
        kind="text",
        decides=True,
        required=True,
        row=None,
        group=None,
        value=value,
        raw_text=value or "",
        confidence=0.7,
        status=status,
        placement_fits=fits,
    )


def test_register_confirms_a_middling_reading_and_names_mismatches() -> None:
    entry = RegistryEntry(
        pass_number="2211211335",
        name="佐藤　京子",
        kana="サトウ キョウコ",
        exam_type="CAP",
        result="pass",
        issue_date=None,
    )
    fields = {
        "R.pass_number": [_read("R.pass_number", "2211211335", FieldStatus.LOW_CONFIDENCE)],
        "A.pass_number": [_read("A.pass_number", "2211211335")],
        "R.name_kanji": [_read("R.name_kanji", "佐藤京子", FieldStatus.LOW_CONFIDENCE)],
        "A.name_kana": [_read("A.name_kana", "サトウ キヨウコ")],
        "R.exam_type": [_read("R.exam_type", "OMP")],
    }
    checks = {c.item: c for c in cross_check(fields, entry)}
    assert fields["R.pass_number"][0].status == FieldStatus.CONFIRMED
    assert fields["R.pass_number"][0].confirmed_by == "register"
    assert fields["R.name_kanji"][0].status == FieldStatus.CONFIRMED
    assert fields["R.name_kanji"][0].value == "佐藤　京子"  # the register's spelling
    assert fields["A.name_kana"][0].value == "サトウ キョウコ"  # small kana restored
    assert checks["exam_type"].outcome == "mismatch"
    assert "合格者名簿「CAP」" in checks["exam_type"].message_ja
    assert checks["pass_number"].outcome == "agree"


def test_register_does_not_confirm_a_handwritten_looking_field() -> None:
    entry = RegistryEntry(
        pass_number="2211211335", name="佐藤　京子", kana="サトウ キョウコ", exam_type="CAP"
    )
    fields = {
        "A.pass_number": [_read("A.pass_number", "2211211335")],
        "C.applicant_name": [
            _read("C.applicant_name", "佐藤京子", FieldStatus.LOW_CONFIDENCE, fits=False)
        ],
    }
    cross_check(fields, entry)
    assert fields["C.applicant_name"][0].status == FieldStatus.LOW_CONFIDENCE
    assert fields["C.applicant_name"][0].confirmed_by is None


def test_register_does_not_confirm_a_number_whose_name_disagrees() -> None:
    entry = RegistryEntry(
        pass_number="2211211335",
        name="山田　一郎",
        kana="ヤマダ イチロウ",
        exam_type="CAP",
        result="pass",
    )
    fields = {
        "R.pass_number": [_read("R.pass_number", "2211211335", FieldStatus.LOW_CONFIDENCE)],
        "R.name_kanji": [_read("R.name_kanji", "佐藤京子")],
    }
    checks = {c.item: c for c in cross_check(fields, entry)}
    assert fields["R.pass_number"][0].status == FieldStatus.LOW_CONFIDENCE
    assert checks["name"].outcome == "mismatch"


@pytest.mark.parametrize("n", [1, 2, 3, 17, 400])
def test_fast_percentile_equals_numpys(n: int) -> None:
    from pipeline.extract.verify import PERCENTILE, _percentile

    values = np.random.default_rng(n).random(n).astype(np.float32)
    assert _percentile(values) == pytest.approx(float(np.percentile(values, PERCENTILE)), abs=1e-6)


def _exhaustive_window_distance(
    a: np.ndarray, b: np.ndarray, dt_a: np.ndarray, dt_b: np.ndarray
) -> float:
    """The worst window by brute force: every window, every slide (what the pruned search
    in ``verify._window_distance`` must equal)."""
    from pipeline.extract.verify import NORM_HEIGHT, _percentile, _windows

    worst = 0.0
    for x, x1, slides in _windows(a.shape[1]):
        ink_a = a[:, x:x1] > 0
        if not ink_a.any() and not (b[:, x:x1] > 0).any():
            continue
        best = float("inf")
        for bx0, bx1 in slides:
            ink_b = b[:, bx0:bx1] > 0
            if not ink_a.any() or not ink_b.any():
                best = min(best, 1.0 * NORM_HEIGHT)
                continue
            best = min(
                best,
                max(_percentile(dt_b[:, bx0:bx1][ink_a]), _percentile(dt_a[:, x:x1][ink_b])),
            )
        worst = max(worst, best / NORM_HEIGHT)
    return worst


@pytest.mark.parametrize(
    ("ink", "drawn"),
    [
        ("佐藤京子", "佐藤京子"),  # the same text, shifted and thickened below
        ("佐藤京子", "佐藤亰子"),  # one kanji off
        ("2016年04月01日", "2010年04月01日"),
        ("コンタクトセンター", "コンタクトセンタ"),  # one character short
    ],
)
def test_pruned_worst_window_equals_the_exhaustive_search(ink: str, drawn: str) -> None:
    import cv2

    from pipeline.extract.verify import NORM_HEIGHT, _distance_map, _drawn, _window_distance
    from tests.test_extract_placement import GOTHIC

    a = _drawn(ink, GOTHIC)
    b = _drawn(drawn, GOTHIC)
    assert a is not None and b is not None
    # A scan: the ink a little bolder and drifting along the line.
    a = cv2.dilate(a, np.ones((2, 2), np.uint8))
    a = np.roll(a, 3, axis=1)
    b = cv2.resize(b, (a.shape[1], NORM_HEIGHT), interpolation=cv2.INTER_NEAREST)
    dt_a, dt_b = _distance_map(a), _distance_map(b)
    worst, mean = _window_distance(a, b, dt_a, dt_b)
    assert worst == _exhaustive_window_distance(a, b, dt_a, dt_b)
    assert mean == mean  # not NaN: no give-up without a limit
