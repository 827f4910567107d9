"""``python -m pipeline.demo``: what ``make demo`` runs (same as ``conken demo``)."""

from pipeline.cli.main import run

if __name__ == "__main__":
    import sys

    sys.argv = ["conken", "demo"]
    run()
