"""Certification rules: the manual's criteria as small, named, tested rules.

Pure and free of I/O except ``store.py`` (the database) and ``explain.py``'s
loader. Entry point: :func:`pipeline.rules.evaluate.evaluate`.
"""
