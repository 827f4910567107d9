"""Aligning a scanned page to its template.

First choice: the four ArUco registration marks (fiducials). Their ids say
which corner is which, so one homography both straightens the page and turns
it upright (0/90/180/270) — no separate orientation step. The marks are
searched with several preprocessings, because bitonal, dithered 200-dpi
scans and a seal stamped over a mark defeat a plain detector. Fallback:
feature-based homography (ORB + RANSAC) against the blank form.
The residual (RMS reprojection error in mm) is recorded with every alignment.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class MarkerLayout:
    """Where the template prints its marks: id → (centre x, centre y, size) in mm."""

    markers: dict[int, tuple[float, float, float]]
    page_mm: tuple[float, float]
    dictionary: int = cv2.aruco.DICT_4X4_50

    def corners_mm(self, marker_id: int) -> np.ndarray:
        cx, cy, size = self.markers[marker_id]
        h = size / 2
        # ArUco corner order: top-left, top-right, bottom-right, bottom-left.
        return np.array(
            [[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h]],
            dtype=np.float64,
        )


@dataclass(frozen=True)
class Alignment:
    homography: np.ndarray  # source pixels → template pixels at ``dpi``
    dpi: float
    method: str  # "aruco" or "features"
    residual_mm: float
    rotation: int  # degrees the page was turned to be upright (0, 90, 180, 270)
    markers_found: tuple[int, ...] = ()
    preprocessing: str = ""
    inliers: int = 0
    notes: tuple[str, ...] = field(default=())

    def warp(
        self, image: np.ndarray, page_mm: tuple[float, float], *, fill: int = 255
    ) -> np.ndarray:
        """``image`` onto the template at ``dpi`` (``fill`` where the page has nothing)."""
        size = (
            round(page_mm[0] / MM_PER_INCH * self.dpi),
            round(page_mm[1] / MM_PER_INCH * self.dpi),
        )
        return cv2.warpPerspective(
            image,
            self.homography,
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        )


class AlignmentFailed(Exception):  # noqa: N818 - internal signal, mapped to an exception item
    """No trustworthy homography; the page goes to review with its image."""


# --- marker detection ------------------------------------------------------------------


def _detector(dictionary: int) -> cv2.aruco.ArucoDetector:
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    params.adaptiveThreshWinSizeMin = 5
    params.adaptiveThreshWinSizeMax = 45
    params.adaptiveThreshWinSizeStep = 8
    params.minMarkerPerimeterRate = 0.02
    params.maxErroneousBitsInBorderRate = 0.5
    params.errorCorrectionRate = 0.8
    return cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(dictionary), params)


def _identity(img: np.ndarray) -> tuple[np.ndarray, float]:
    return img, 1.0


def _median(img: np.ndarray) -> tuple[np.ndarray, float]:
    return cv2.medianBlur(img, 5), 1.0


def _close_dither(img: np.ndarray) -> tuple[np.ndarray, float]:
    # Min-filter spreads black over the white holes of dithered black squares.
    opened = cv2.morphologyEx(img, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    blurred = cv2.GaussianBlur(opened, (5, 5), 0)
    return cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1], 1.0


def _downscale(img: np.ndarray) -> tuple[np.ndarray, float]:
    # Averaging to half size turns dither back into grey, then Otsu re-binarises.
    small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1], 0.5


PREPROCESSINGS: Sequence[tuple[str, Callable[[np.ndarray], tuple[np.ndarray, float]]]] = (
    ("raw", _identity),
    ("median", _median),
    ("close_dither", _close_dither),
    ("downscale", _downscale),
)


def detect_markers(
    image: np.ndarray, layout: MarkerLayout, *, enough: int | None = None
) -> tuple[dict[int, np.ndarray], str]:
    """Marker id → 4×2 corner array (source pixels), and the preprocessings that found them.

    Preprocessings are tried in order until every mark is found (or ``enough``
    of them: a corner region holds one); a mark missed by one preprocessing may
    be found by another, so their finds are merged.
    """
    detector = _detector(layout.dictionary)
    wanted = set(layout.markers)
    target = min(len(wanted), enough or len(wanted))
    found: dict[int, np.ndarray] = {}
    used: list[str] = []
    for name, prep in PREPROCESSINGS:
        processed, scale = prep(image)
        corners, ids, _ = detector.detectMarkers(processed)
        if ids is None:
            continue
        new = 0
        for quad, marker_id in zip(corners, ids.flatten(), strict=True):
            key = int(marker_id)
            if key in wanted and key not in found:
                found[key] = quad.reshape(4, 2).astype(np.float64) / scale
                new += 1
        if new:
            used.append(name)
        if len(found) >= target:
            break
    return found, "+".join(used)


def _corner_regions(
    shape: tuple[int, ...], share_x: float = 0.3, share_y: float = 0.22
) -> list[tuple[int, int, int, int]]:
    h, w = shape[:2]
    rw, rh = int(w * share_x), int(h * share_y)
    # Marks sit in the page corners whatever way up the page was scanned.
    return [(0, 0, rw, rh), (w - rw, 0, rw, rh), (w - rw, h - rh, rw, rh), (0, h - rh, rw, rh)]


def detect_markers_in_corners(
    image: np.ndarray, layout: MarkerLayout
) -> tuple[dict[int, np.ndarray], str]:
    """Search the four corner regions first (fast), then the whole page if some marks are
    missing. A page with no mark in any corner region (a cover letter) is not searched
    whole: the regions are a third of the page wide, far beyond any scanner's shift."""
    found: dict[int, np.ndarray] = {}
    used: set[str] = set()
    for x, y, w, h in _corner_regions(image.shape):
        region_found, name = detect_markers(image[y : y + h, x : x + w], layout, enough=1)
        for marker_id, quad in region_found.items():
            found.setdefault(marker_id, quad + np.array([x, y], dtype=np.float64))
        used.update(filter(None, name.split("+")))
    if 0 < len(found) < len(layout.markers):
        whole, name = detect_markers(image, layout)
        for marker_id, quad in whole.items():
            found.setdefault(marker_id, quad)
        used.update(filter(None, name.split("+")))
    elif not found:
        # A photographed sheet lies inside the frame with the desk around it: its marks
        # are not in the image's corners. Looked for whole, coarsely (a cover letter
        # has none and costs one cheap look).
        scale = min(1.0, OVERVIEW_SIDE_PX / max(image.shape[:2]))
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        whole, name = detect_markers(small, layout)
        for marker_id, quad in whole.items():
            found[marker_id] = quad / scale
        if whole:
            found = _refined(image, found)
            used.update(filter(None, name.split("+")))
    order = [n for n, _ in PREPROCESSINGS if n in used]
    return found, "+".join(order)


OVERVIEW_SIDE_PX = 1800  # the longer side of the coarse whole-page look for marks


def _refined(image: np.ndarray, found: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Corners found on a reduced image, refined to sub-pixel on the full one."""
    refined = {}
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.05)
    for marker_id, quad in found.items():
        corners = quad.astype(np.float32).reshape(-1, 1, 2)
        side = float(np.linalg.norm(quad[0] - quad[1]))
        window = max(3, min(15, round(side / 12)))
        cv2.cornerSubPix(image, corners, (window, window), (-1, -1), criteria)
        refined[marker_id] = corners.reshape(4, 2).astype(np.float64)
    return refined


def align_by_markers(image: np.ndarray, layout: MarkerLayout, dpi: float) -> Alignment:
    """Homography from the marks found (three or four); a similarity transform from two.

    Two marks happen when the scanner cut a corner off: their eight corners
    still fix rotation, scale and shift, which is all a flatbed scan adds.
    """
    found, prep_name = detect_markers_in_corners(image, layout)
    if len(found) < 2:
        raise AlignmentFailed(
            f"only {len(found)} of {len(layout.markers)} registration marks found"
        )
    px_per_mm = dpi / MM_PER_INCH
    src = np.concatenate([found[i] for i in sorted(found)])
    dst = np.concatenate([layout.corners_mm(i) for i in sorted(found)]) * px_per_mm
    if len(found) >= 3:
        homography, _mask = cv2.findHomography(src, dst, 0)
        method = "aruco"
    else:
        affine, _inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
        homography = None if affine is None else np.vstack([affine, [0.0, 0.0, 1.0]])
        method = "aruco_partial"
    if homography is None:
        raise AlignmentFailed("the registration marks give no homography")
    residual = _rms_mm(homography, src, dst, px_per_mm)
    notes: tuple[str, ...] = ()
    if len(found) < len(layout.markers):
        missing = sorted(set(layout.markers) - set(found))
        notes = (f"marks {missing} not found; aligned on {len(found)}",)
    return Alignment(
        homography,
        dpi,
        method,
        residual,
        rotation_of(homography),
        tuple(sorted(found)),
        prep_name,
        len(src),
        notes,
    )


# --- feature fallback ----------------------------------------------------------------


def align_by_features(
    image: np.ndarray, reference: np.ndarray, dpi: float, *, max_features: int = 4000
) -> Alignment:
    """Homography from ORB features matched against the blank form rendered at ``dpi``."""
    orb = cv2.ORB_create(nfeatures=max_features)  # type: ignore[attr-defined]  # in cv2, not its stubs
    scale = min(1.0, 1600 / max(image.shape))
    ref_scale = min(1.0, 1600 / max(reference.shape))
    src_small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ref_small = cv2.resize(
        reference, None, fx=ref_scale, fy=ref_scale, interpolation=cv2.INTER_AREA
    )
    kp1, des1 = orb.detectAndCompute(cv2.GaussianBlur(src_small, (3, 3), 0), None)
    kp2, des2 = orb.detectAndCompute(cv2.GaussianBlur(ref_small, (3, 3), 0), None)
    if des1 is None or des2 is None or len(kp1) < 20 or len(kp2) < 20:
        raise AlignmentFailed("too few image features to align")
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(des1, des2, k=2)
    good = [m for m, n in (p for p in pairs if len(p) == 2) if m.distance < 0.75 * n.distance]
    if len(good) < 25:
        raise AlignmentFailed(f"only {len(good)} feature matches against the blank form")
    src = np.array([kp1[m.queryIdx].pt for m in good], dtype=np.float64) / scale
    dst = np.array([kp2[m.trainIdx].pt for m in good], dtype=np.float64) / ref_scale
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0 / ref_scale)
    if homography is None or mask is None:
        raise AlignmentFailed("no consistent homography from features")
    inliers = mask.ravel().astype(bool)
    if inliers.sum() < 20:
        raise AlignmentFailed(f"only {int(inliers.sum())} consistent feature matches")
    px_per_mm = dpi / MM_PER_INCH
    residual = _rms_mm(homography, src[inliers], dst[inliers], px_per_mm)
    return Alignment(
        homography,
        dpi,
        "features",
        residual,
        rotation_of(homography),
        (),
        "orb",
        int(inliers.sum()),
    )


# --- geometry -----------------------------------------------------------------------------


def _rms_mm(homography: np.ndarray, src: np.ndarray, dst: np.ndarray, px_per_mm: float) -> float:
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), homography).reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum((projected - dst) ** 2, axis=1))) / px_per_mm)


def rotation_of(homography: np.ndarray) -> int:
    """How far the source was turned (0/90/180/270) judging by where its x axis goes."""
    origin = cv2.perspectiveTransform(np.array([[[0.0, 0.0], [100.0, 0.0]]]), homography)[0]
    dx, dy = origin[1] - origin[0]
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return int(round(angle / 90.0) * 90) % 360


# A homography from the marks fixes the scale itself, whatever page size or resolution
# the file declared (a page re-saved at B5, an image declared at 72 dpi): only a scale
# no scan could have is refused. Features are matched with RANSAC and can settle on a
# degenerate fit, so their perspective is held to what a flatbed or a photo gives.
PLAUSIBLE_SCALE = (0.2, 5.0)
MAX_FEATURE_PERSPECTIVE = 2e-3


def sanity_problems(
    alignment: Alignment, source_shape: tuple[int, ...], source_dpi: float
) -> list[str]:
    """Why an alignment is implausible (empty list when it looks sound)."""
    problems: list[str] = []
    h = alignment.homography
    linear = h[:2, :2] / h[2, 2]
    scale = math.sqrt(abs(np.linalg.det(linear)))
    expected = alignment.dpi / source_dpi
    low, high = PLAUSIBLE_SCALE
    if not low * expected <= scale <= high * expected:
        problems.append(f"scale {scale:.2f} impossible for a scan (declared {expected:.2f})")
    if alignment.method == "features" and (
        abs(h[2, 0]) > MAX_FEATURE_PERSPECTIVE or abs(h[2, 1]) > MAX_FEATURE_PERSPECTIVE
    ):
        problems.append("strong perspective distortion")
    return problems
