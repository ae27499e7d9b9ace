"""``SandboxService``: the Odoo services (``common``, ``object``, ``db``) the protocol layers call.

Every protocol (``/jsonrpc``, ``/xmlrpc/2/*``, the web-session routes, JSON-2) ends here, so the
answers are the same whichever way a client comes in. The service checks the database name and
the credentials, refuses private methods and unknown models as Odoo's ``service/model.py`` does,
then runs the model method in ONE store transaction: on any error nothing is written (Odoo's
rollback). Results are plain JSON/XML-RPC values; a method that returns ``None`` in Odoo
(``button_draft``) returns ``None`` here too.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.sandbox import groups as groups_mod
from ledgerpilot.sandbox import methods, security
from ledgerpilot.sandbox.env import Env, user_group_xmlids
from ledgerpilot.sandbox.exceptions import AccessDenied, DatabaseError, OdooError, PythonError, UserError
from ledgerpilot.sandbox.model_rules import MODEL_RULES
from ledgerpilot.sandbox.registry import recorded_version
from ledgerpilot.sandbox.store import Store

#: Python exceptions that Odoo lets reach the client as ``builtins.<Name>``.
_PLAIN_PYTHON_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)


class SandboxService:
    """The sandbox's Odoo services over one :class:`Store` (one database)."""

    def __init__(self, store: Store):
        self.store = store
        self.db_name: str = store.get_meta("db_name", "demo") or "demo"
        #: the major version the sandbox plays (17, or 19 with ``Store(serie="19.0")``)
        self.major: int = int(recorded_version(store.serie)["server_version_info"][0])

    # -- db / common ---------------------------------------------------------------------------
    def version(self) -> dict:
        return recorded_version(self.store.serie)

    def db_list(self) -> list[str]:
        return [self.db_name]

    def login(self, db: str, login: str, password: str) -> int | bool:
        """``common.login``: the uid, or ``False`` on bad credentials (never an error). API keys count."""
        self._check_db(db)
        uid = self._uid_for_login(login)
        if uid is None or not self._password_or_key_ok(uid, password):
            return False
        return uid

    def authenticate(self, db: str, login: str, password: str, user_agent_env: dict | None = None) -> int | bool:
        """``common.authenticate``: as :meth:`login` (``user_agent_env`` is accepted and ignored)."""
        return self.login(db, login, password)

    def session_authenticate(self, db: str, login: str, password: str) -> int:
        """``/web/session/authenticate``: the password only. API keys are refused (AccessDenied)."""
        self._check_db(db)
        uid = self._uid_for_login(login)
        if uid is None or not groups_mod.check_password(self.store, uid, password):
            raise AccessDenied()
        return uid

    def uid_for_api_key(self, key: str) -> int | None:
        """The active user an API key belongs to (JSON-2 bearer keys), or ``None``."""
        uid = groups_mod.user_for_api_key(self.store, key)
        if uid is None or not self._user_active(uid):
            return None
        return uid

    # -- object ----------------------------------------------------------------------------------
    def execute_kw(self, db: str, uid: int, password: str, model: str, method: str,
                   args: list | None = None, kwargs: dict | None = None) -> Any:
        """``object.execute_kw``: check the credentials, then :meth:`call`."""
        self._check_db(db)
        self._check_uid_password(uid, password)
        return self.call(uid, model, method, list(args or []), dict(kwargs or {}))

    def execute(self, db: str, uid: int, password: str, model: str, method: str, *args: Any) -> Any:
        """``object.execute``: positional arguments only (what odoorpc's login uses)."""
        self._check_db(db)
        self._check_uid_password(uid, password)
        return self.call(uid, model, method, list(args), {})

    def call(self, uid: int, model: str, method: str, args: list | None, kwargs: dict | None) -> Any:
        """Run ``model.method(*args, **kwargs)`` as an already authenticated user, atomically."""
        security.check_method_name(method)
        if model not in self.store.registry:
            raise UserError(f"Object {model} doesn't exist")
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise PythonError("TypeError", f"context must be a dictionary, not {type(context).__name__}")
        handler = methods.lookup(model, method, self.major)
        env = Env(self.store, int(uid), dict(context), MODEL_RULES)
        env.rules.check()
        try:
            if handler.readonly:
                return handler(env, model, list(args or []), kwargs)
            with self.store.transaction():
                return handler(env, model, list(args or []), kwargs)
        except OdooError:
            raise
        except _PLAIN_PYTHON_ERRORS as exc:
            raise PythonError(type(exc).__name__, _python_message(exc)) from exc

    # -- user information ----------------------------------------------------------------------
    def context_get(self, uid: int) -> dict:
        """``res.users.context_get``: ``{"lang", "tz", "uid"}`` as Odoo 17 returns it."""
        return methods.user_context(Env(self.store, int(uid), model_rules=MODEL_RULES))

    def session_info(self, uid: int, base_url: str | None = None) -> dict:
        """What ``/web/session/authenticate`` and ``/web/session/get_session_info`` return."""
        return methods.session_info(Env(self.store, int(uid), model_rules=MODEL_RULES), self.db_name, base_url)

    # -- API keys (tests and the CLI only; never served over RPC) ------------------------------
    def create_api_key(self, uid: int, name: str) -> str:
        if not self._user_active(uid):
            raise ValueError(f"No active user with id {uid}")
        return groups_mod.create_api_key(self.store, uid, name)

    def revoke_api_key(self, key: str) -> None:
        groups_mod.revoke_api_key(self.store, key)

    # -- helpers -------------------------------------------------------------------------------
    def _check_db(self, db: str) -> None:
        if db != self.db_name:
            raise DatabaseError(str(db))

    def _uid_for_login(self, login: str) -> int | None:
        if not isinstance(login, str) or not login:
            return None
        row = self.store.conn.execute(
            "SELECT id FROM res_users WHERE login = ? AND COALESCE(active, 1) = 1", (login,)
        ).fetchone()
        return int(row[0]) if row else None

    def _user_active(self, uid: Any) -> bool:
        if isinstance(uid, bool) or not isinstance(uid, int):
            return False
        row = self.store.conn.execute(
            "SELECT 1 FROM res_users WHERE id = ? AND COALESCE(active, 1) = 1", (uid,)
        ).fetchone()
        return row is not None

    def _password_or_key_ok(self, uid: int, secret: str) -> bool:
        if groups_mod.check_password(self.store, uid, secret):
            return True
        return groups_mod.user_for_api_key(self.store, secret) == uid

    def _check_uid_password(self, uid: Any, password: str) -> None:
        if not self._user_active(uid) or not self._password_or_key_ok(int(uid), password):
            raise AccessDenied()

    def user_groups(self, uid: int) -> frozenset[str]:
        """External ids of the user's groups, implied ones included (for the web session layer)."""
        return user_group_xmlids(self.store, int(uid))


def _python_message(exc: BaseException) -> str:
    """``str(exc)`` as Odoo shows it; KeyError's str() keeps its quotes, as in Odoo's answers."""
    return str(exc)
