"""OCR: the one module that talks to Tesseract, and how crops are batched for it."""
