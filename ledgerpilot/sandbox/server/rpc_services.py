"""Odoo's RPC services (``common``, ``db``, ``object``) over a :class:`SandboxService`.

This is ``odoo.http.dispatch_rpc`` and the ``dispatch`` functions of ``odoo/service/*.py``: both
``/jsonrpc`` and ``/xmlrpc`` end here with ``(service, method, params)``. The functions below keep
Odoo's names and signatures on purpose: a call with the wrong number of arguments fails with the
same ``TypeError`` text as real Odoo (``exp_login() missing 1 required positional argument...``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerpilot.sandbox.exceptions import AccessDenied
from ledgerpilot.sandbox.service import SandboxService

#: db methods that need the master password (which the sandbox does not have).
_DB_SUPER_METHODS = frozenset({
    "create_database", "duplicate_database", "drop", "dump", "restore", "rename",
    "change_admin_password", "migrate_databases",
})
_DB_PUBLIC_METHODS = frozenset({"db_exist", "list", "list_lang", "server_version", "list_countries"})


def _named_as_odoo(*functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """Index local functions by name, and name them as Odoo's module-level ones in error texts."""
    for function in functions:
        function.__qualname__ = function.__name__
    return {f.__name__: f for f in functions}


def dispatch_rpc(service: SandboxService, service_name: str, method: str, params: Any) -> Any:
    """Run ``service_name.method(*params)``; unknown services raise ``KeyError`` as in Odoo."""
    dispatchers: dict[str, Callable[[SandboxService, str, Any], Any]] = {
        "common": _dispatch_common,
        "db": _dispatch_db,
        "object": _dispatch_object,
    }
    dispatch = dispatchers[service_name]
    return dispatch(service, method, params)


# -- common --------------------------------------------------------------------------------------
def _common_methods(service: SandboxService) -> dict[str, Callable[..., Any]]:
    def exp_login(db, login, password):
        return service.login(db, login, password)

    def exp_authenticate(db, login, password, user_agent_env):
        return service.authenticate(db, login, password, user_agent_env)

    def exp_version():
        return service.version()

    def exp_about(extended=False):
        info = "See http://openerp.com"
        if extended:
            return info, service.version()["server_version"]
        return info

    def exp_set_loglevel(loglevel, logger=None):
        return True

    return _named_as_odoo(exp_login, exp_authenticate, exp_version, exp_about, exp_set_loglevel)


def _dispatch_common(service: SandboxService, method: str, params: Any) -> Any:
    functions = _common_methods(service)
    name = "exp_" + str(method)
    if name in functions:
        return functions[name](*params)
    raise Exception(f"Method not found: {method}")  # noqa: TRY002 - Odoo raises exactly this


# -- db ------------------------------------------------------------------------------------------
def _db_methods(service: SandboxService) -> dict[str, Callable[..., Any]]:
    def exp_db_exist(db_name):
        return db_name in service.db_list()

    def exp_list(document=False):
        return service.db_list()

    def exp_list_lang():
        return [["en_US", "English (US)"]]

    def exp_server_version():
        return service.version()["server_version"]

    def exp_list_countries(master_pwd=None):
        raise AccessDenied()

    return _named_as_odoo(exp_db_exist, exp_list, exp_list_lang, exp_server_version, exp_list_countries)


def _dispatch_db(service: SandboxService, method: str, params: Any) -> Any:
    if method in _DB_SUPER_METHODS:
        # check_super(passwd): the sandbox has no master password, so nothing passes.
        raise AccessDenied()
    if method not in _DB_PUBLIC_METHODS:
        raise KeyError(f"Method not found: {method}")
    return _db_methods(service)["exp_" + method](*params)


# -- object --------------------------------------------------------------------------------------
def _dispatch_object(service: SandboxService, method: str, params: Any) -> Any:
    db, uid, passwd = params[0], int(params[1]), params[2]

    def execute(db, uid, obj, method, *args, **kw):
        return service.execute_kw(db, uid, passwd, obj, method, list(args), kw)

    def execute_kw(db, uid, obj, method, args, kw=None):
        return service.execute_kw(db, uid, passwd, obj, method, args, kw or {})

    _named_as_odoo(execute, execute_kw)
    if method == "execute":
        return execute(db, uid, *params[3:])
    if method == "execute_kw":
        return execute_kw(db, uid, *params[3:])
    # Odoo checks the credentials (security.check) before it looks at the method name.
    service.execute_kw(db, uid, passwd, "res.users", "context_get", [], {})
    raise NameError(f"Method not available {method}")
