"""Batches: reproducible bytes, side data in the bank's and the administrator's formats, CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.synth import generate_batch, read_truth
from pipeline.synth.bank import HEADER
from pipeline.synth.scan import DegradationMix

FAST = DegradationMix(dpis=((150, 1.0),), formats=("pdf", "tiff"))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    truths = generate_batch(out, 3, seed=42, mix=FAST, workers=1)
    return out, truths


def test_same_seed_same_bytes_other_seed_other_bytes(batch, tmp_path: Path) -> None:
    out, _ = batch
    again = tmp_path / "again"
    generate_batch(again, 3, seed=42, mix=FAST, workers=2)
    first, second = _files(out), _files(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    other = tmp_path / "other"
    generate_batch(other, 3, seed=43, mix=FAST, workers=1)
    third = _files(other)
    assert third["register/passers.csv"] != first["register/passers.csv"]
    pdfs = [k for k in third if k.endswith(".pdf")]
    assert pdfs and all(third[k] != first.get(k.replace("E43", "E42")) for k in pdfs)


def test_statement_is_mufg_layout(batch) -> None:
    out, truths = batch
    (path,) = (out / "statements").glob("*.csv")
    raw = path.read_bytes()
    text = raw.decode("cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # full-width katakana in cp932 is not valid UTF-8
    lines = text.split("\r\n")
    assert lines[0] == ",".join(HEADER)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows
    for row in rows:
        assert re.fullmatch(r"\d{4}/[1-9]\d?/[1-9]\d?", row[0]), row[0]
        for amount in (row[3], row[4], row[5]):
            assert amount == "" or re.fullmatch(r"\d{1,3}(,\d{3})*", amount), amount
        assert row[8] in ("入金", "支払い")
        assert not re.search("[ァィゥェォッャュョ]", row[2]), row[2]
    assert '"11,000"' in text or '"10,560"' in text or '"33,000"' in text
    for t in truths:
        for n, amount in zip(t.payment.rows, t.payment.amounts, strict=True):
            assert int(rows[n - 1][4].replace(",", "")) == amount
            assert rows[n - 1][2] in t.payment.payer_texts


def test_register_lists_every_applicant(batch) -> None:
    out, truths = batch
    text = (out / "register" / "passers.csv").read_bytes().decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["合格者番号", "氏名", "フリガナ", "試験種別", "受験日", "発行日", "結果"]
    by_number = {r[0]: r for r in rows[1:]}
    for t in truths:
        entry = by_number[t.record.report.pass_number]
        assert entry[1] == t.record.name_kanji
        assert entry[5] == t.record.report.issue_date.strftime("%Y/%m/%d")


def test_index_points_at_existing_files(batch) -> None:
    out, truths = batch
    index = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert index["count"] == len(truths) == 3
    for env in index["envelopes"]:
        assert (out / env["truth"]).is_file()
        for files in env["files"].values():
            assert all((out / f).is_file() for f in files)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def test_cli_renders_given_records(batch, tmp_path: Path) -> None:
    _, truths = batch
    records = [truths[0].record.model_dump(mode="json")]
    records[0]["oath_signed"] = False
    src = tmp_path / "records.json"
    src.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = _cli(
        "synth",
        "--from",
        str(src),
        "--out",
        str(tmp_path / "o"),
        "--light",
        "--formats",
        "pdf",
        "--workers",
        "1",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    truth = json.loads(
        (tmp_path / "o" / "truth" / f"{truths[0].envelope_id}.truth.json").read_text(
            encoding="utf-8"
        )
    )
    sig = [f for f in truth["fields"] if f["form_code"] == "D" and f["field"] == "signature"]
    assert sig[0]["value"] is False or "D:1" in truth["forms_missing"]


def test_cli_rejects_bad_records(tmp_path: Path) -> None:
    src = tmp_path / "bad.json"
    src.write_text('[{"envelope_id": "x"}]', encoding="utf-8")
    result = _cli("synth", "--from", str(src), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 8
    assert "conken: error:" in result.stderr and "invalid applicant record" in result.stderr
    assert "Traceback" not in result.stderr


def test_decision_reasons_add_the_fee(batch) -> None:
    _, truths = batch
    for t in truths:
        fee = t.payment.expected_outcome
        if t.eligibility.outcome == "not_required":
            assert t.decision_reasons == ["not_required"]
        elif fee in ("unpaid", "underpaid"):
            assert t.decision_reasons[-1] == fee and "eligible" not in t.decision_reasons
        else:
            assert t.decision_reasons == t.eligibility.reasons


def test_handwriting_is_chosen_per_envelope() -> None:
    from pipeline.synth.batch import make_records

    none = make_records(40, seed=5, handwriting_share=0.0)
    assert all(not r.render.handwritten_fields for r in none)
    every = make_records(40, seed=5, handwriting_share=1.0)
    assert all(r.render.handwritten_fields for r in every)
    styles = {
        "all" if f == ["*"] else "attestation" if f == ["C:*"] else "some"
        for f in (r.render.handwritten_fields for r in every)
    }
    assert styles == {"all", "attestation", "some"}
    some = [
        r.render.handwritten_fields for r in every if r.render.handwritten_fields[0][1:] != ":*"
    ]
    assert all(1 <= len(f) <= 4 and all(":" in x for x in f) for f in some if f != ["*"])
    usual = make_records(60, seed=5, handwriting_share=0.15)
    share = sum(bool(r.render.handwritten_fields) for r in usual) / len(usual)
    assert 0.03 <= share <= 0.35  # most applicants fill the forms on a PC


def test_truth_and_index_record_the_fonts_and_traits_asked_for(tmp_path: Path) -> None:
    mix = DegradationMix(dpis=((100, 1.0),), formats=("pdf",))
    truths = generate_batch(
        tmp_path, 2, seed=9, mix=mix, fonts=["noto-sans"], traits=["fold", "stamp"]
    )
    for t in truths:
        assert t.fill.font_family == "noto-sans" and 8 <= t.fill.size_pt <= 14
        assert t.traits == ["fold", "stamp"] and set(t.capture) == {"fold", "stamp"}
        typed = [f for f in t.fields if isinstance(f.value, str) and not f.handwritten]
        assert {f.font_family for f in typed if f.form_code != "R"} == {"noto-sans"}
        assert {f.font_family for f in typed if f.form_code == "R"} == {"ipa-gothic"}
        others = [f for f in t.fields if f.handwritten or not isinstance(f.value, str)]
        assert all(f.font_family is None for f in others)
        again = read_truth(tmp_path / "truth" / f"{t.envelope_id}.truth.json")
        assert again.fill == t.fill and again.capture["stamp"]["page"] == 0
    index = json.loads((tmp_path / "batch.json").read_text(encoding="utf-8"))
    assert index["font_families"] == {"noto-sans": 2}
    assert index["traits"] == {"fold": 2, "stamp": 2}
    assert all(e["font_family"] == "noto-sans" for e in index["envelopes"])
    assert all(e["traits"] == ["fold", "stamp"] for e in index["envelopes"])


def test_fonts_and_traits_do_not_change_the_applicants() -> None:
    from pipeline.synth.batch import make_records

    drawn = make_records(12, seed=4)
    clean = make_records(12, seed=4, fonts=["ipa-mincho"], traits=[])
    assert any(r.render.traits for r in drawn) and not any(r.render.traits for r in clean)
    assert {r.render.typed.font_family for r in clean} == {"ipa-mincho"}
    for a, b in zip(drawn, clean, strict=True):
        assert a.model_dump(exclude={"render"}) == b.model_dump(exclude={"render"})
        typed_a, typed_b = a.render.typed, b.render.typed
        assert typed_a.model_dump(exclude={"font_family"}) == typed_b.model_dump(
            exclude={"font_family"}
        )  # the same applicant types the same way whatever families are asked for


def test_given_records_keep_their_choices_unless_told(batch, tmp_path: Path) -> None:
    from pipeline.synth.batch import render_records

    _, truths = batch
    record = truths[0].record.model_copy(deep=True)
    record.render.traits = ["stamp"]
    mix = DegradationMix(dpis=((100, 1.0),), formats=("pdf",))
    kept = render_records([record.model_copy(deep=True)], tmp_path / "a", 1, mix=mix)
    assert kept[0].traits == ["stamp"] and kept[0].fill == truths[0].fill
    told = render_records(
        [record.model_copy(deep=True)], tmp_path / "b", 1, mix=mix, fonts=["vlgothic"], traits=[]
    )
    assert told[0].traits == [] and told[0].fill.font_family == "vlgothic"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fonts", "comic-sans"], "unknown font family comic-sans; known: bizud-gothic"),
        (["--traits", "fax,color"], "traits that cannot happen together: color and fax"),
        (["--traits", "stamp,teacup"], "unknown trait(s) teacup; known: photo"),
        (["--traits", "stamp", "--no-traits"], "give --traits or --no-traits, not both"),
    ],
)
def test_cli_names_unknown_or_conflicting_keys(tmp_path: Path, args, message) -> None:
    result = _cli("synth", "--out", str(tmp_path / "o"), "--count", "1", *args, cwd=tmp_path)
    assert result.returncode == 8, result.stderr
    assert f"conken: error: {message}" in result.stderr
    assert not (tmp_path / "o").exists()


def test_cli_types_and_captures_as_told(tmp_path: Path) -> None:
    result = _cli(
        "synth",
        *("--out", str(tmp_path / "o"), "--count", "1", "--seed", "3", "--light"),
        *("--formats", "pdf", "--workers", "1", "--fonts", "mplus", "--traits", "stamp,curl"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    truth = read_truth(tmp_path / "o" / "truth" / "E3-0001.truth.json")
    assert truth.fill.font_family == "mplus" and truth.traits == ["curl", "stamp"]
