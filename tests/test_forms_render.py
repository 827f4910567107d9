"""Blank forms as printed: text layer, QR code and ArUco marks readable by OpenCV."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest

from pipeline.forms import (
    blank_pdf_bytes,
    load_templates,
    parse_qr_payload,
    qr_payload,
    render_blank_page_image,
)
from pipeline.forms.marks import aruco_dictionary


@pytest.fixture(scope="module")
def templates():
    return load_templates()


def _pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def test_blank_pdf_text_layer_has_the_labels(templates) -> None:
    a = _pdftotext(blank_pdf_bytes(templates[("A", 1)]))
    for label in [
        "資格認定申請書",
        "申請資格",
        "フリガナ",
        "生年月日",
        "郵便番号",
        "合格者番号",
        "合格証明書発行日",
        "署名",
        "一般社団法人 日本コンタクトセンター教育検定協会",
    ]:
        assert label in a, label
    b = _pdftotext(blank_pdf_bytes(templates[("B", 1)])).replace("\n", "")
    for label in [
        "業務経歴証明書",
        "組織名",
        "部署",
        "コンタクトセンター戦略（ST）",
        "ヒューマンリソースマネジメント（HR）",
        "ICTマネジメント（IC）",
        "資格・研修名",
        "代替年数",
    ]:
        assert label in b, label
    c = _pdftotext(blank_pdf_bytes(templates[("C", 1)]))
    assert "上司もしくは監督者による証明" in c and "役職（当時）" in c
    d = _pdftotext(blank_pdf_bytes(templates[("D", 1)])).replace("\n", "")
    assert "継続教育・学習方針の順守への宣誓書" in d


def test_blank_pdf_is_byte_identical_across_renders(templates) -> None:
    t = templates[("C", 2)]
    assert blank_pdf_bytes(t) == blank_pdf_bytes(t)


def test_qr_payload_roundtrip() -> None:
    assert qr_payload("B", 2, "v2024.1") == "CONKEN|B|2|v2024.1"
    assert parse_qr_payload("CONKEN|B|2|v2024.1") == ("B", 2, "v2024.1")
    assert parse_qr_payload("https://example.com") is None


@pytest.mark.parametrize("key", [("R", 1), ("A", 1), ("B", 2), ("C", 4), ("D", 1)])
def test_qr_decodes_on_a_bitonal_200dpi_rendering(templates, key) -> None:
    img = render_blank_page_image(templates[key], 200)
    _, bitonal = cv2.threshold(img, 160, 255, cv2.THRESH_BINARY)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.rotate(bitonal, cv2.ROTATE_180))
    assert parse_qr_payload(text) == (key[0], key[1], templates[key].version)


def test_aruco_markers_found_at_their_corners(templates) -> None:
    t = templates[("A", 1)]
    dpi = 150
    img = render_blank_page_image(t, dpi)
    detector = cv2.aruco.ArucoDetector(aruco_dictionary(t.aruco_dictionary))
    corners, ids, _ = detector.detectMarkers(img)
    assert ids is not None
    found = {
        int(i): c.reshape(4, 2).mean(axis=0) for i, c in zip(ids.flatten(), corners, strict=True)
    }
    assert set(found) == {m.id for m in t.markers}
    for m in t.markers:
        expected = np.array(m.center_mm) * dpi / 25.4
        assert np.linalg.norm(found[m.id] - expected) < 3.0, (m.corner, found[m.id], expected)
