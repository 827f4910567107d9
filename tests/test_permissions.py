"""Personal data stays private: every command that creates the data root or a file in it
makes folders 0700 and files 0600, whatever the umask it was started with.

Each command runs as a real ``conken`` process on a data root that does not exist yet
(the scanner's inbox and the bank statements come from elsewhere: the second test
creates them itself and checks only what the run wrote).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.sample_inbox import SAMPLE_DIR
from tests.helpers.sample import page_of

ROOT = Path(__file__).resolve().parent.parent
REGISTER = SAMPLE_DIR / "register" / "passers.csv"
STATEMENT = next((SAMPLE_DIR / "statements").glob("mufg_*.csv"))


def _env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONKEN_", "PREFECT_"))}
    env.update(PYTHONPATH=str(ROOT), CONKEN_DATA_ROOT=str(root), **(extra or {}))
    return env


def _conken(root: Path, *args: str, stdin: str = "", extra: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args],
        env=_env(root, extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=lambda: os.umask(0o022),  # the usual umask: files would be 0644
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _not_private(root: Path, skip: tuple[str, ...] = ()) -> list[str]:
    wrong = []
    for path in [root, *root.rglob("*")]:
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in skip:
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            wrong.append(f"{rel} {mode:o}")
    return wrong


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("db", "upgrade"), ""),
        (("ingest",), ""),
        (("registry", "import", str(REGISTER)), ""),
        (("payments", "import", str(STATEMENT)), ""),
        (("users", "add", "sato", "--role", "staff", "--password-stdin"), "long enough pw 1\n"),
        (("purge", "--older-than", "5", "--dry-run"), ""),
    ],
    ids=["db-upgrade", "ingest", "registry-import", "payments-import", "users-add", "purge"],
)
def test_each_command_creates_a_private_data_root(
    tmp_path: Path, args: tuple[str, ...], stdin: str
) -> None:
    root = tmp_path / "new-root"
    _conken(root, *args, stdin=stdin)
    assert root.is_dir()
    assert _not_private(root) == []


@pytest.mark.slow
@pytest.mark.ocr
def test_conken_run_on_a_fresh_root_writes_nothing_others_can_read(
    tmp_path: Path, prefect_harness: None
) -> None:
    from prefect.settings import PREFECT_API_URL
    from pypdf import PdfReader, PdfWriter

    prefect = {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path)}
    empty = tmp_path / "empty-root"
    _conken(empty, "run", "--json", extra=prefect)  # creates the root itself
    assert (empty / "reports" / "run-1.html").is_file()
    assert _not_private(empty) == []

    # With work to do: an envelope of two pages (the exam report and form A: forms B-D
    # are missing, so a letter is written), the register and the bank statement.
    root = tmp_path / "root"
    for folder in ("inbox", "registry", "statements"):
        (root / folder).mkdir(parents=True)
    reader, writer = PdfReader(SAMPLE_DIR / "envelopes" / "E2024-0001.pdf"), PdfWriter()
    for form_code in ("R", "A"):
        writer.add_page(reader.pages[page_of("E2024-0001", form_code)])
    with (root / "inbox" / "E2024-0001.pdf").open("wb") as fh:
        writer.write(fh)
    os.utime(root / "inbox" / "E2024-0001.pdf", (1718600000, 1718600000))  # 2024-06-17
    shutil.copy(REGISTER, root / "registry")
    shutil.copy(STATEMENT, root / "statements")
    _conken(root, "run", "--json", "--today", "2024-06-21", extra=prefect)
    written = {p.relative_to(root).as_posix() for p in root.rglob("*")}
    for expected in ("archive", "store", "reports", "conken.db"):
        assert expected in written, sorted(written)
    # The letter the missing forms call for is stored but held (its address was read by
    # hand, unsure: issue 20); the page images and crops with the applicant's data are here.
    assert any(name.endswith(".png") for name in written if name.startswith("store/")), sorted(
        written
    )
    # the root and the folders the office delivers into are the test's; what the run made is private
    assert _not_private(root, skip=(".", "inbox", "registry", "statements")) == []
