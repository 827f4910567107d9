"""Field extraction: crops, marks, OCR reads, normalisation, cross-checks."""
