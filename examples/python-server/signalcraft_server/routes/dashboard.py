"""The built dashboard (``examples/dashboard/dist``) at ``/``: its files, and ``index.html`` for
any other page path a browser navigates to (``Accept: text/html``: client-side routes). API paths
and other clients keep the contract's JSON 404. Nothing is served when there is no build."""

import mimetypes
import os

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from ..errors import HostError
from ..routing import error_response
from ..routing import router as make_router

#: Paths that are never dashboard pages.
API_PREFIXES = ("/api/", "/webhooks/", "/slack/", "/metrics", "/healthz", "/readyz", "/demo/")


def mount(app: FastAPI, directory: "str | None") -> bool:
    """Serves ``directory`` at ``/`` when it holds a build (an index.html); answers whether it does."""
    if not directory or not os.path.isfile(os.path.join(directory, "index.html")):
        return False
    root = os.path.realpath(directory)
    index = os.path.join(root, "index.html")
    router = make_router()

    @router.get("/{path:path}", include_in_schema=False)
    async def page(path: str, request: Request) -> Response:
        url_path = request.url.path
        if url_path.startswith(API_PREFIXES):
            return error_response(HostError("not_found", f"no route {request.method} {url_path}"))
        target = os.path.realpath(os.path.join(root, path))
        if path and target.startswith(root + os.sep) and os.path.isfile(target):
            media, _ = mimetypes.guess_type(target)
            # hashed assets never change; the index must be revalidated
            cache = "public, max-age=31536000, immutable" if "/assets/" in url_path else "no-cache"
            return FileResponse(target, media_type=media, headers={"Cache-Control": cache})
        if "text/html" not in request.headers.get("accept", ""):
            # only a browser navigating gets the app; other clients get the contract's 404
            return error_response(HostError("not_found", f"no route {request.method} {url_path}"))
        return FileResponse(
            index, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    app.include_router(router)
    return True
