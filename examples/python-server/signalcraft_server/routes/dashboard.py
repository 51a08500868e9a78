"""The web dashboard (examples/dashboard, built by Vite into its dist/) at ``/``, as the node host
serves it: the hashed assets under /assets/ (cached for a year), and index.html for the app's own
pages (``/``, ``/login``, ``/w/...``) so a reload or a shared link opens the same view. API routes
keep their paths and their JSON 404s. Without a built dashboard nothing is served."""

import os
from pathlib import Path
from typing import Optional

from fastapi import FastAPI
from fastapi.responses import Response

from ..errors import HostError
from ..routing import error_response
from ..routing import router as make_router

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def mount(app: FastAPI, directory: Optional[str]) -> bool:
    """Serves the build in ``directory`` when it has an index.html; answers whether it does."""
    if not directory or not os.path.isfile(os.path.join(directory, "index.html")):
        return False
    root = Path(directory)
    index = root / "index.html"
    assets = root / "assets"
    router = make_router()

    # Read on each request (a rebuild shows without a restart).
    def page() -> Response:
        return Response(
            index.read_bytes(), media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    @router.get("/", include_in_schema=False)
    def home() -> Response:
        return page()

    @router.get("/login", include_in_schema=False)
    def login() -> Response:
        return page()

    @router.get("/w/{rest:path}", include_in_schema=False)
    def workspace_page(rest: str) -> Response:
        return page()

    @router.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        media = TYPES.get(os.path.splitext(name)[1])
        # names are checked against the directory's own listing: nothing outside it can be named
        if media is None or not assets.is_dir() or name not in os.listdir(assets):
            return error_response(HostError("not_found", f"no route GET /assets/{name}"))
        return Response(
            (assets / name).read_bytes(),
            media_type=media,
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    app.include_router(router)
    return True
