"""Errors the sandbox raises, shaped as Odoo 17 raises them.

Every error carries what the protocol layers need to answer as real Odoo does:
``odoo_name`` (JSON-RPC ``error.data.name``), ``xmlrpc_fault_code`` (``/xmlrpc/2``) and
``arguments`` (``error.data.arguments``). See tests/fixtures/odoo17_protocol/README.md.
"""

from __future__ import annotations

from typing import Any


class OdooError(Exception):
    """Base class. ``message`` is what ``error.data.message`` shows."""

    odoo_name = "builtins.Exception"
    xmlrpc_fault_code: int = 1  # any other exception: the fault string is a traceback

    def __init__(self, message: str, *arguments: Any):
        super().__init__(message, *arguments)
        self.message = message
        self.arguments = (message, *arguments)


class UserError(OdooError):
    odoo_name = "odoo.exceptions.UserError"
    xmlrpc_fault_code = 2


class ValidationError(UserError):
    odoo_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"


class RedirectWarning(UserError):
    """``arguments`` = (message, action dict, button label, additional context) as in Odoo."""

    odoo_name = "odoo.exceptions.RedirectWarning"

    def __init__(self, message: str, action: dict, button_text: str, additional_context: Any = None):
        super().__init__(message, action, button_text, additional_context)
        # data.message is the four arguments str()-joined with newlines (recorded behaviour)
        self.message = "\n".join(str(a) for a in (message, action, button_text, additional_context))


class AccessError(OdooError):
    odoo_name = "odoo.exceptions.AccessError"
    xmlrpc_fault_code = 4


class AccessDenied(OdooError):
    odoo_name = "odoo.exceptions.AccessDenied"
    xmlrpc_fault_code = 3

    def __init__(self, message: str = "Access Denied"):
        super().__init__(message)


class SessionExpired(OdooError):
    """A web session that is missing or expired (``/web/dataset/call_kw``): JSON-RPC code 100."""

    odoo_name = "odoo.http.SessionExpiredException"
    jsonrpc_code = 100

    def __init__(self, message: str = "Session expired"):
        super().__init__(message)


class PythonError(OdooError):
    """A plain Python exception raised inside Odoo (``builtins.ValueError``, ``TypeError``, ...)."""

    def __init__(self, python_name: str, message: str):
        super().__init__(message)
        self.odoo_name = f"builtins.{python_name}"
        self.python_name = python_name


class DatabaseError(OdooError):
    """What an unknown database name produces: psycopg2 refuses the connection."""

    odoo_name = "psycopg2.OperationalError"

    def __init__(self, db_name: str):
        super().__init__(
            f'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
            f'FATAL:  database "{db_name}" does not exist\n'
        )
