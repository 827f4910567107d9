"""``conken review serve``: run the staff web app (the exception queue)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.config import get_settings
from pipeline.storage.db import ensure_schema

app = typer.Typer(no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: review_host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: review_port, 8000).")
    ] = None,
) -> None:
    """Serve the review app until interrupted (Ctrl+C)."""
    import uvicorn

    from pipeline.review.app import create_app

    settings = get_settings()
    ensure_schema(settings.effective_database_url)
    bind_host = host or settings.review_host
    bind_port = port or settings.review_port
    typer.echo(f"review app on http://{bind_host}:{bind_port}/ (Ctrl+C to stop)")
    uvicorn.run(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
