"""Load and validate the form definitions in ``templates_ocr/``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError as PydanticValidationError

from pipeline.config import PROJECT_ROOT
from pipeline.errors import TemplateError
from pipeline.forms.schema import FormTemplate

DEFAULT_TEMPLATE_DIR = PROJECT_ROOT / "templates_ocr"

TemplateKey = tuple[str, int]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_template_file(path: Path) -> FormTemplate:
    """One template file, validated; raises TemplateError naming the file and the problem."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 - safe loader
    except OSError as e:
        raise TemplateError(f"{path}: cannot read template: {e}") from e
    except yaml.YAMLError as e:
        raise TemplateError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(raw, dict):
        raise TemplateError(f"{path}: a template must be a mapping, got {type(raw).__name__}")
    try:
        return FormTemplate.model_validate(raw)
    except PydanticValidationError as e:
        raise TemplateError(f"{path}: invalid template: {_one_line(e)}") from e


def load_templates(dir: Path | None = None) -> dict[TemplateKey, FormTemplate]:
    """Every ``*.yaml`` template in ``dir`` (default: templates_ocr/), by (form_code, page)."""
    root = Path(dir) if dir is not None else DEFAULT_TEMPLATE_DIR
    if not root.is_dir():
        raise TemplateError(f"{root}: template directory not found")
    files = sorted(root.glob("*.yaml"))
    if not files:
        raise TemplateError(f"{root}: no *.yaml form templates found")
    out: dict[TemplateKey, FormTemplate] = {}
    versions: set[str] = set()
    for path in files:
        template = load_template_file(path)
        if template.key in out:
            raise TemplateError(f"{path}: duplicate form page {template.key}")
        out[template.key] = template
        versions.add(template.version)
    if len(versions) > 1:
        raise TemplateError(f"{root}: templates mix versions {sorted(versions)}")
    return out


@lru_cache(maxsize=4)
def default_templates() -> dict[TemplateKey, FormTemplate]:
    """The committed templates (cached; they do not change at run time)."""
    return load_templates(DEFAULT_TEMPLATE_DIR)


def _one_line(error: PydanticValidationError) -> str:
    parts = []
    for err in error.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
