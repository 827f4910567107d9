"""The one settings object.

Values come, in increasing priority, from the defaults below, an optional TOML
file (``CONKEN_CONFIG_FILE`` or ``conken.toml`` in the working directory) and
environment variables prefixed ``CONKEN_``. Every default works with no
configuration: SQLite under the data root, Asia/Tokyo, 300 dpi.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pipeline.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_ROOT = PROJECT_ROOT / "data"
A4_MM = (210.0, 297.0)


class _TomlSource(PydanticBaseSettingsSource):
    """Reads a flat TOML table (keys as field names, optional [conken] table)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = {}
        if path is None:
            return
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigurationError(f"settings file not found: {path}") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigurationError(f"settings file {path} is not valid TOML: {e}") from e
        self._values = raw.get("conken", raw)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


def _config_file() -> Path | None:
    explicit = os.environ.get("CONKEN_CONFIG_FILE")
    if explicit:
        return Path(explicit)
    local = Path.cwd() / "conken.toml"
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Effective configuration of conken-intake."""

    model_config = SettingsConfigDict(env_prefix="CONKEN_", extra="ignore", validate_default=True)

    # where things live
    data_root: Path = Field(DEFAULT_DATA_ROOT, description="Root of all runtime data.")
    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file conken.db under the data root."
    )
    registry_path: Path | None = Field(
        None, description="Passers register CSV(s); default: <data_root>/registry/."
    )
    statements_path: Path | None = Field(
        None, description="Incoming bank statements; default: <data_root>/statements/."
    )

    # OCR and imaging
    ocr_dpi: int = Field(300, ge=100, le=600, description="Rasterisation DPI.")
    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        description="Parallel workers for page extraction.",
    )
    ocr_batch_envelopes: int = Field(
        8,
        ge=1,
        le=64,
        description="Envelopes whose text fields one tesseract process per OCR setting reads "
        "together (each start costs about 0.1 s: as much as reading a dozen lines).",
    )
    tesseract_cmd: str = Field("tesseract", description="Path or name of the tesseract binary.")
    max_image_pixels: int = Field(
        120_000_000, ge=1_000_000, description="Images above this many pixels are refused."
    )
    max_pages_per_file: int = Field(
        1000, ge=1, description="Documents longer than this are refused."
    )
    inbox_settle_seconds: float = Field(
        5.0, ge=0, description="Inbox files modified more recently than this wait for the next run."
    )

    # review thresholds (calibrated in the extraction benchmark)
    field_ok_confidence: float = Field(
        0.90, ge=0, le=1, description="A field is ok only at or above this confidence."
    )
    handwriting_threshold: float = Field(
        0.30,
        gt=0,
        le=1,
        description="A text field whose ink scores this much like handwriting goes to a person "
        "whatever the engines read (propose with `conken bench extract --calibrate`).",
    )
    handwritten_page_threshold: float = Field(
        0.05,
        gt=0,
        le=1,
        description="A page, or the pages one writer fills in, whose measured text fields (at "
        "least five) have this median handwriting score look filled in by hand: every text "
        "value on them goes to a person (a fifth under the lowest median of a page written by "
        "hand on the training corpora; README, Extraction).",
    )
    handwritten_page_margin: float = Field(
        0.02,
        ge=0,
        le=1,
        description="…and only when that median lies at least this much above the score of "
        "the form's own printed labels on those pages (a fax or a dithered copy makes print "
        "irregular too; README, Extraction).",
    )
    alignment_max_residual_mm: float = Field(
        2.0, gt=0, description="Pages aligned worse than this go to review."
    )
    payment_name_min_score: float = Field(
        85.0, ge=0, le=100, description="Fuzzy name score needed to match a payer name."
    )
    payment_name_only_min_score: float = Field(
        95.0, ge=0, le=100, description="Score needed to propose a match with no 4 digits."
    )

    # business parameters from the manual
    fee_yen: int = Field(11_000, gt=0, description="Application fee (10,000 + 10% tax).")
    unpaid_wait_days: int = Field(
        14, ge=0, description="Days before an unpaid application is an exception."
    )
    unmatched_payment_wait_days: int = Field(
        14, ge=0, description="Days before an unmatched payment is an exception."
    )
    audit_sample_share: float = Field(
        0.05, ge=0, le=1, description="Share of straight-through approvals sent to audit."
    )
    rules_substitutions_path: Path | None = Field(
        None,
        description="Recognised substitutions table (YAML); default: the bundled "
        "pipeline/rules/substitutions.yaml.",
    )
    certificate_number_format: str = Field(
        "{qualification}-{year}-{seq:05d}", description="Certificate number format."
    )
    timezone: str = Field("Asia/Tokyo", description="Business timezone.")

    # office outputs: letters and certificates (A4 PDFs)
    envelope_window_mm: tuple[float, float, float, float] = Field(
        (23.0, 13.0, 90.0, 45.0),
        description="The address window of the 長形3号 window envelope letters are mailed in: "
        "left, top, width, height in mm from the envelope's left and top edges (A4 folded in "
        "three, its top panel against those edges). Default: the common 90 × 45 mm window.",
    )
    envelope_window_clearance_mm: float = Field(
        3.0,
        ge=0,
        le=10,
        description="The address stays this far inside the window on every side (the folded "
        "sheet moves a little in the envelope).",
    )
    print_fonts_mincho: list[str] = Field(
        default_factory=lambda: [
            "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
            "/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
        ],
        description="TrueType fonts for the text of letters and certificates, in order: a "
        "character the first lacks (a name outside JIS X 0208) is taken from the next.",
    )
    print_fonts_gothic: list[str] = Field(
        default_factory=lambda: [
            "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
            "/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
        ],
        description="TrueType fonts for headings of letters and certificates, in order.",
    )
    certificate_stock: Literal["plain", "preprinted"] = Field(
        "plain",
        description="plain: certificates print whole on blank A4; preprinted: only the variable "
        "text, at the fixed offsets of the certificate layout, onto pre-printed stock.",
    )
    certificate_layout_path: Path | None = Field(
        None,
        description="Certificate layout (YAML: where each text goes); default: the bundled "
        "pipeline/outputs/templates/certificate_layout.yaml. Measure your stock and copy it.",
    )

    # orchestration
    schedule_cron: str = Field("0 2 * * *", description="Nightly run schedule (cron, local time).")
    dask_address: str | None = Field(None, description="Existing Dask scheduler for scale-out.")
    prefect_port: int = Field(
        4200,
        ge=1,
        le=65535,
        description="Port of the local Prefect server `conken serve` starts when "
        "PREFECT_API_URL is not set.",
    )

    # review app
    review_host: str = Field("127.0.0.1", description="Review app bind address.")
    review_port: int = Field(8000, ge=1, le=65535, description="Review app port.")
    secret_key: SecretStr | None = Field(
        None, description="Session signing key; default: generated once under the data root."
    )
    review_session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="A review app session ends after this long idle."
    )
    review_login_max_failures: int = Field(
        5, ge=1, description="Failed log-ins allowed per user name and address in the window."
    )
    review_login_window_seconds: int = Field(
        300, ge=1, description="Window for counting failed log-ins (seconds)."
    )
    review_presence_seconds: int = Field(
        60,
        ge=5,
        description="Someone counts as having an item open this long after their last "
        "heartbeat (seconds).",
    )
    review_page_size: int = Field(50, ge=5, le=500, description="Queue rows per page.")
    review_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only (set behind a TLS proxy)."
    )

    log_level: str = Field("INFO", description="Log level for the console.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, _config_file()))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as e:
            raise ValueError(f"unknown timezone {value!r}") from e
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return upper

    @model_validator(mode="after")
    def _window_on_the_top_panel(self) -> Settings:
        left, top, width, height = self.envelope_window_mm
        inner = 2 * self.envelope_window_clearance_mm
        if min(left, top) < 0 or width <= inner + 20 or height <= inner + 15:
            raise ValueError(
                "envelope_window_mm must be left, top, width, height in mm with room for an "
                f"address inside the clearance, not {list(self.envelope_window_mm)}"
            )
        if left + width > A4_MM[0] or top + height > A4_MM[1] / 3:
            raise ValueError(
                "envelope_window_mm must lie on the top third of an A4 sheet (210 × 99 mm), "
                f"not {list(self.envelope_window_mm)}"
            )
        return self

    # derived locations -------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_root / 'conken.db'}"

    def dir(self, name: str) -> Path:
        """A named folder under the data root (inbox, archive, quarantine, store, ...)."""
        return self.data_root / name

    @property
    def inbox_dir(self) -> Path:
        return self.dir("inbox")

    @property
    def archive_dir(self) -> Path:
        return self.dir("archive")

    @property
    def quarantine_dir(self) -> Path:
        return self.dir("quarantine")

    @property
    def store_dir(self) -> Path:
        """Page images and field crops."""
        return self.dir("store")

    @property
    def reports_dir(self) -> Path:
        return self.dir("reports")

    @property
    def effective_registry_path(self) -> Path:
        return self.registry_path or self.dir("registry")

    @property
    def effective_statements_path(self) -> Path:
        return self.statements_path or self.dir("statements")

    def masked(self) -> dict[str, Any]:
        """Effective settings for display, with secrets and URL passwords masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            out[name] = value
        out["database_url"] = _mask_url(self.effective_database_url)
        return out


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "********"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; call ``get_settings.cache_clear()`` after changing env."""
    try:
        return Settings()
    except ConfigurationError:
        raise
    except Exception as e:  # pydantic.ValidationError: make it one readable line
        raise ConfigurationError(f"invalid settings: {_one_line(e)}") from e


def _one_line(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in errors()]
        return "; ".join(parts)
    return str(error)
