"""The ``/web/...`` JSON routes of Odoo 17's web client that external clients use.

``/web/webclient/version_info`` (odoorpc's first request), ``/web/session/authenticate`` (the
password only: API keys are refused), ``/web/session/get_session_info``, ``/web/session/destroy``,
``/web/session/check``, ``/web/dataset/call_kw[/<path>]`` and ``/web/database/list``.

The controller classes and method signatures mirror Odoo's, so that missing parameters fail with
Odoo's own ``TypeError`` text (``DataSet.call_kw() missing 1 required positional argument...``).
"""

from __future__ import annotations

import time

from ledgerpilot.sandbox.exceptions import AccessError
from ledgerpilot.sandbox.server.jsonrpc import CallContext, JsonRoute


class WebClient:
    def __init__(self, ctx: CallContext):
        self.ctx = ctx

    def version_info(self):
        return self.ctx.service.version()


class Session:
    def __init__(self, ctx: CallContext):
        self.ctx = ctx

    def _base_url(self) -> str:
        return self.ctx.request.host_url.rstrip("/")

    def authenticate(self, db, login, password, base_location=None):
        service = self.ctx.service
        if db not in service.db_list():
            raise AccessError("Database not found.")
        uid = service.session_authenticate(db, login, password)
        session = self.ctx.session
        self.ctx.app.sessions.rotate(session)  # Odoo gives a logged-in session a new id
        session.db = db
        session.uid = uid
        session.login = login
        session.context = service.context_get(uid)
        session.login_time = time.monotonic()
        return service.session_info(uid, self._base_url())

    def get_session_info(self):
        self.ctx.session.modified = True  # Odoo touches the session: the cookie is sent again
        return self.ctx.service.session_info(self.ctx.session.uid, self._base_url())

    def destroy(self):
        session = self.ctx.session
        session.uid = None
        session.login = None
        session.login_time = None
        session.context = {}
        session.modified = True

    def check(self):
        return None  # reaching here means the session is valid (auth='user')


class DataSet:
    def __init__(self, ctx: CallContext):
        self.ctx = ctx

    def call_kw(self, model, method, args, kwargs, path=None):
        session = self.ctx.session
        return self.ctx.service.call(session.uid, model, method, args, kwargs)


class Database:
    def __init__(self, ctx: CallContext):
        self.ctx = ctx

    def list(self):
        return self.ctx.service.db_list()


#: path -> route, for the exact paths; ``/web/dataset/call_kw/<path>`` is matched by prefix.
WEB_ROUTES: dict[str, JsonRoute] = {
    "/web/webclient/version_info": JsonRoute("/web/webclient/version_info",
                                             lambda ctx: WebClient(ctx).version_info),
    "/web/session/authenticate": JsonRoute("/web/session/authenticate", lambda ctx: Session(ctx).authenticate),
    "/web/session/get_session_info": JsonRoute("/web/session/get_session_info",
                                               lambda ctx: Session(ctx).get_session_info, auth="user"),
    "/web/session/destroy": JsonRoute("/web/session/destroy", lambda ctx: Session(ctx).destroy, auth="user"),
    "/web/session/check": JsonRoute("/web/session/check", lambda ctx: Session(ctx).check, auth="user"),
    "/web/dataset/call_kw": JsonRoute("/web/dataset/call_kw", lambda ctx: DataSet(ctx).call_kw, auth="user"),
    "/web/database/list": JsonRoute("/web/database/list", lambda ctx: Database(ctx).list),
}
CALL_KW_PREFIX = "/web/dataset/call_kw/"
