"""HTTP responses shaped as Odoo 17's werkzeug server sends them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Response

from ledgerpilot.sandbox.server.encoding import json_chunks
from ledgerpilot.sandbox.server.sessions import COOKIE_EXPIRES_SECONDS, SESSION_LIFETIME, WebSession

JSON_MIMETYPES = ("application/json", "application/json-rpc")
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def _finish(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def json_response(obj: Any, status: int = 200, list_path: tuple[str, ...] = (),
                  headers: Iterable[tuple[str, str]] = ()) -> Response:
    """``obj`` as JSON (``json.dumps`` default separators, ``ensure_ascii=False``).

    Long lists found at ``list_path`` are streamed in chunks (no Content-Length); anything
    else is sent in one piece with its length.
    """
    chunks = json_chunks(obj, list_path)
    first = next(chunks)
    try:
        second = next(chunks)
    except StopIteration:
        response = Response(first, status=status, content_type=JSON_CONTENT_TYPE)
    else:
        response = Response(_prepend(first, second, chunks), status=status, content_type=JSON_CONTENT_TYPE,
                            direct_passthrough=True)
    for key, value in headers:
        response.headers[key] = value
    return _finish(response)


def _prepend(first: bytes, second: bytes, rest: Iterable[bytes]) -> Iterable[bytes]:
    yield first
    yield second
    yield from rest


def xml_response(chunks: list[bytes] | Iterable[bytes]) -> Response:
    if isinstance(chunks, list) and len(chunks) == 1:
        return _finish(Response(chunks[0], status=200, content_type=XML_CONTENT_TYPE))
    return _finish(Response(chunks, status=200, content_type=XML_CONTENT_TYPE, direct_passthrough=True))


def html_error(exc: HTTPException) -> Response:
    """werkzeug's standard error page (what Odoo answers for BadRequest, MethodNotAllowed...)."""
    response = exc.get_response()
    return _finish(response)


def bad_request_text(text: str) -> Response:
    """``Response(text, status=400)``: Odoo's bare 400 answers (``Invalid JSON data``)."""
    return _finish(Response(text, status=400, content_type="text/html; charset=utf-8"))


def wrong_route_type(route: str, route_type: str) -> Response:
    """Odoo 17's answer when the request's Content-Type does not fit the route's type."""
    return html_error(BadRequest(
        f"Request inferred type is compatible with ['http'] but {route!r} is type={route_type!r}."
    ))


NOT_FOUND_PAGE = """<!DOCTYPE html>
<html>
    <head>
        <meta charset="utf-8"/>
        <title>404: Page not found | Odoo</title>
    </head>
    <body>
        <div id="wrapwrap">
            <main>
                <div class="container">
                    <h1 class="mt-5">Oops! Something went wrong.</h1>
                    <p>We couldn't find the page you're looking for!</p>
                </div>
            </main>
        </div>
    </body>
</html>
"""


def not_found_page(session: WebSession) -> Response:
    """The website's 404 page, with the ``frontend_lang`` and ``session_id`` cookies it sets."""
    response = Response(NOT_FOUND_PAGE, status=404, content_type="text/html;charset=utf-8")
    response.set_cookie("frontend_lang", "en_US", path="/")
    set_session_cookie(response, session)
    return _finish(response)


def set_session_cookie(response: Response, session: WebSession) -> None:
    """``session_id=<sid>; Expires=<now + 1 year>; Max-Age=604800; HttpOnly; Path=/``."""
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=COOKIE_EXPIRES_SECONDS)
    response.set_cookie("session_id", session.sid, max_age=SESSION_LIFETIME, expires=expires,
                        httponly=True, path="/")
