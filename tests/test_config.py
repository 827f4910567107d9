"""Settings: defaults that work, env and TOML overrides, clear errors, masked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigurationError


def test_defaults_work_with_no_configuration(tmp_path: Path) -> None:
    s = get_settings()
    assert s.data_root == tmp_path / "data"  # from the test fixture's env
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'conken.db'}"
    assert s.ocr_dpi == 300
    assert s.fee_yen == 11_000
    assert s.timezone == "Asia/Tokyo"
    assert s.workers >= 1
    assert s.inbox_dir == tmp_path / "data" / "inbox"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONKEN_OCR_DPI", "400")
    monkeypatch.setenv("CONKEN_FEE_YEN", "12000")
    get_settings.cache_clear()
    s = get_settings()
    assert (s.ocr_dpi, s.fee_yen) == (400, 12000)


def test_toml_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "site.toml"
    cfg.write_text("[conken]\nocr_dpi = 200\nunpaid_wait_days = 21\n", encoding="utf-8")
    monkeypatch.setenv("CONKEN_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("CONKEN_UNPAID_WAIT_DAYS", "7")
    get_settings.cache_clear()
    s = get_settings()
    assert s.ocr_dpi == 200
    assert s.unpaid_wait_days == 7


def test_conken_toml_in_working_directory_is_picked_up(tmp_path: Path) -> None:
    (tmp_path / "conken.toml").write_text("workers = 3\n", encoding="utf-8")
    get_settings.cache_clear()
    assert get_settings().workers == 3


@pytest.mark.parametrize(
    ("env", "value", "fragment"),
    [
        ("CONKEN_OCR_DPI", "50", "ocr_dpi"),
        ("CONKEN_TIMEZONE", "Mars/Olympus", "unknown timezone"),
        ("CONKEN_FEE_YEN", "abc", "fee_yen"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(env, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=fragment):
        get_settings()


def test_missing_or_broken_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONKEN_CONFIG_FILE", str(tmp_path / "nope.toml"))
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="not found"):
        get_settings()
    bad = tmp_path / "bad.toml"
    bad.write_text("ocr_dpi = = 3", encoding="utf-8")
    monkeypatch.setenv("CONKEN_CONFIG_FILE", str(bad))
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        get_settings()


def test_masked_hides_secrets_and_url_passwords() -> None:
    s = Settings(
        database_url="postgresql://conken:hunter2@db.internal/conken",
        secret_key="s3cret",
    )
    shown = s.masked()
    assert "hunter2" not in str(shown)
    assert "s3cret" not in str(shown)
    assert shown["secret_key"] == "********"
    assert "db.internal" in shown["database_url"]
