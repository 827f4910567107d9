"""Form definitions: the schema of ``templates_ocr/`` files, loading and rendering."""

from pipeline.forms.loader import TemplateKey, default_templates, load_template_file, load_templates
from pipeline.forms.render import blank_pdf_bytes, render_blank_page_image, render_blank_pdf
from pipeline.forms.schema import (
    Box,
    FieldKind,
    FieldSpec,
    FormTemplate,
    MarkerSpec,
    OcrSpec,
    QrSpec,
    StaticItem,
    parse_qr_payload,
    qr_payload,
)

__all__ = [
    "Box",
    "FieldKind",
    "FieldSpec",
    "FormTemplate",
    "MarkerSpec",
    "OcrSpec",
    "QrSpec",
    "StaticItem",
    "TemplateKey",
    "blank_pdf_bytes",
    "default_templates",
    "load_template_file",
    "load_templates",
    "parse_qr_payload",
    "qr_payload",
    "render_blank_page_image",
    "render_blank_pdf",
]
