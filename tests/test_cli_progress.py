"""What ``conken run`` and ``make demo`` print while the stages run is in words."""

from __future__ import annotations

import io

from rich.console import Console

from pipeline.cli.run import RichStages


def test_a_finished_stage_shows_its_counts_in_words_not_codes() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    with RichStages(console) as stages:
        stages.stage_started("import_statements", 1)
        stages.stage_finished("import_statements", {"files_imported": 1, "skipped": 0}, 0.1)
    text = out.getvalue()
    assert "files_imported" not in text and "=" not in text
    assert "取り込んだファイル 1" in text
