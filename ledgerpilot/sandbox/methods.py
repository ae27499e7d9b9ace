"""The public model methods the sandbox serves, and how RPC arguments reach them.

Odoo's ``api.call_kw`` calls ``@api.model`` methods with the positional arguments as given and
record methods with ``args[0]`` as the record ids (``ids, args = args[0], args[1:]``). Each entry
of :data:`METHODS` says which kind a method is, whether it writes (so the service opens a write
transaction) and which models offer it. Unknown methods raise AttributeError as Odoo does.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledgerpilot.sandbox import accounting, payments, security, writes
from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import MissingError, PythonError
from ledgerpilot.sandbox.registry import _raw_schema, recorded_version
from ledgerpilot.sandbox.store import sync_account_companies


@dataclass(frozen=True)
class Handler:
    """One public method: ``func(env, model, [ids,] *args, **kwargs)``."""

    func: Callable[..., Any]
    multi: bool  # called on records: the first positional argument is the ids
    readonly: bool  # never writes: no write transaction needed
    models: frozenset[str] | None = None  # None: every model

    def __call__(self, env: Env, model: str, args: list, kwargs: dict) -> Any:
        if self.multi:
            if not args:
                raise IndexError("list index out of range")  # Odoo: ids, args = args[0], args[1:]
            ids, args = normalize_ids(args[0]), args[1:]
            return self.func(env, model, ids, *args, **kwargs)
        return self.func(env, model, *args, **kwargs)


def normalize_ids(ids: Any) -> list[int]:
    """Record ids as Odoo's ``browse`` accepts them: an int, or a list/tuple of ints."""
    if ids is None or ids is False:
        return []
    if isinstance(ids, bool):
        raise PythonError("TypeError", f"Invalid record id: {ids!r}")
    if isinstance(ids, int):
        return [ids]
    if isinstance(ids, (list, tuple)):
        out = []
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int):
                raise PythonError("TypeError", f"Invalid record id: {i!r}")
            out.append(i)
        return out
    raise PythonError("TypeError", f"Invalid record ids: {ids!r}")


# -- read side (the QueryEngine, behind the access check) ----------------------------------------
def fields_get(env: Env, model: str, allfields=None, attributes=None):
    return env.query.fields_get(model, allfields=allfields, attributes=attributes)


def search(env: Env, model: str, domain=None, offset=0, limit=None, order=None):
    security.check_access_rights(env, model, "read")
    return env.query.search(model, domain or [], offset=offset or 0, limit=limit, order=order, context=env.context)


def search_count(env: Env, model: str, domain=None, limit=None):
    security.check_access_rights(env, model, "read")
    return env.query.search_count(model, domain or [], limit=limit, context=env.context)


def read(env: Env, model: str, ids: list[int], fields=None, load="_classic_read"):
    security.check_access_rights(env, model, "read")
    return env.query.read(model, ids, fields=fields, load=load, context=env.context)


def search_read(env: Env, model: str, domain=None, fields=None, offset=0, limit=None, order=None):
    security.check_access_rights(env, model, "read")
    return env.query.search_read(model, domain=domain, fields=fields, offset=offset or 0, limit=limit,
                                 order=order, context=env.context)


def read_group(env: Env, model: str, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
    security.check_access_rights(env, model, "read")
    return env.query.read_group(model, domain, fields, groupby, offset=offset or 0, limit=limit,
                                orderby=orderby, lazy=lazy, context=env.context)


def name_search(env: Env, model: str, name="", args=None, operator="ilike", limit=100):
    security.check_access_rights(env, model, "read")
    return env.query.name_search(model, name=name, args=args, operator=operator, limit=limit, context=env.context)


def exists(env: Env, model: str, ids: list[int]):
    security.check_access_rights(env, model, "read")
    return env.query.exists(model, ids)


def check_access_rights(env: Env, model: str, operation, raise_exception=True):
    return security.check_access_rights(env, model, operation, raise_exception=raise_exception)


# -- write side ------------------------------------------------------------------------------
def create(env: Env, model: str, vals_list):
    """``create(vals)`` returns an id; ``create([vals, ...])`` returns a list of ids (Odoo 17)."""
    if isinstance(vals_list, dict):
        ids = writes.create(env, model, [writes.client_values(env, model, vals_list)])
        _after_client_write(env, model)
        return ids[0]
    if not isinstance(vals_list, (list, tuple)) or not all(isinstance(v, dict) for v in vals_list):
        raise ValueError(f"create() expects a dict or a list of dicts, not {type(vals_list).__name__}")
    ids = writes.create(env, model, [writes.client_values(env, model, v) for v in vals_list])
    _after_client_write(env, model)
    return ids


def write(env: Env, model: str, ids: list[int], vals):
    if not isinstance(vals, dict):
        raise ValueError(f"write() expects a dict of values, not {type(vals).__name__}")  # noqa: TRY004 - Odoo raises ValueError here
    writes.write(env, model, ids, writes.client_values(env, model, vals))
    _after_client_write(env, model)
    return True


def _after_client_write(env: Env, model: str) -> None:
    """Keep the fields one serie keeps apart from another's in step (an account's companies)."""
    if model == "account.account":
        sync_account_companies(env.conn)


def unlink(env: Env, model: str, ids: list[int]):
    writes.unlink(env, model, ids)
    return True


def action_post(env: Env, model: str, ids: list[int]):
    if model == "account.payment":
        payments.post_payments(env, ids)
    else:
        accounting.action_post(env, ids)
    return False


def button_draft(env: Env, model: str, ids: list[int]):
    accounting.button_draft(env, ids)


def button_cancel(env: Env, model: str, ids: list[int]):
    accounting.button_cancel(env, ids)


#: Odoo's standard message subtypes: xmlid -> (id, name, internal)
MESSAGE_SUBTYPES = {
    "mail.mt_comment": (1, "Discussions", False),
    "mail.mt_note": (2, "Note", True),
    "mail.mt_activities": (3, "Activities", True),
}


def plaintext_to_html(text: str) -> str:
    """Odoo's ``plaintext2html`` for a one-paragraph body: escaped, newlines as ``<br>``, in ``<p>``."""
    escaped = html.escape(text, quote=False)
    paragraphs = [p.replace("\n", "<br>") for p in escaped.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def message_post(env: Env, model: str, ids: list[int], body="", subject=None, message_type="notification",
                 subtype_xmlid=None, subtype_id=False, partner_ids=None, body_is_html=False, **kwargs):
    """Post a message on one record; returns the new ``mail.message`` id (``@api.returns``)."""
    if len(ids) != 1:
        raise ValueError(f"Expected singleton: {model}({', '.join(str(i) for i in ids)}{',' if len(ids) == 1 else ''})")
    record_id = ids[0]
    if not env.query.exists(model, [record_id]):
        raise MissingError(
            f"Record does not exist or has been deleted.\n(Record: {model}({record_id},), User: {env.uid})"
        )
    security.check_access_rights(env, model, "write" if model != "discuss.channel" else "read")
    if subtype_xmlid:
        if subtype_xmlid not in MESSAGE_SUBTYPES:
            raise ValueError(f"External ID not found in the system: {subtype_xmlid}")
        subtype_id = MESSAGE_SUBTYPES[subtype_xmlid][0]
    elif not subtype_id:
        subtype_id = MESSAGE_SUBTYPES["mail.mt_note"][0]
    body_html = body if body_is_html else plaintext_to_html(str(body or ""))
    record_name = env.query.display_names(model, [record_id]).get(record_id, False)
    vals = {
        "body": body_html,
        "subject": subject or False,
        "message_type": message_type,
        "subtype_id": subtype_id,
        "model": model,
        "res_id": record_id,
        "record_name": record_name,
        "author_id": kwargs.get("author_id") or env.partner_id or False,
        "date": env.now,
        "partner_ids": [(6, 0, list(partner_ids or []))],
        "is_internal": subtype_id == MESSAGE_SUBTYPES["mail.mt_note"][0],
    }
    return writes.create(env, "mail.message", [vals])[0]


def activity_action_feedback(env: Env, model: str, ids: list[int], feedback=False, attachment_ids=None):
    """Mark activities done: Odoo posts the feedback on the record and removes the activity."""
    activities = env.query.read("mail.activity", ids, fields=["res_model", "res_id", "summary", "activity_type_id"])
    if len(activities) != len(set(ids)):
        missing = sorted(set(ids) - {a["id"] for a in activities})
        raise MissingError(
            f"Record does not exist or has been deleted.\n(Record: mail.activity({missing[0]},), User: {env.uid})"
        )
    security.check_access_rights(env, "mail.activity", "unlink")
    for act in activities:
        parts = [html.escape(act["summary"] or "", quote=False)]
        if feedback:
            parts.append(html.escape(str(feedback), quote=False))
        body = "<p>" + "<br>".join(p for p in parts if p) + "</p>"
        if act["res_model"] and act["res_id"] and act["res_model"] in env.store.registry:
            writes.create(env, "mail.message", [{
                "body": body, "message_type": "notification", "subtype_id": MESSAGE_SUBTYPES["mail.mt_activities"][0],
                "model": act["res_model"], "res_id": act["res_id"], "author_id": env.partner_id or False,
                "date": env.now, "is_internal": True,
                "mail_activity_type_id": act["activity_type_id"][0] if act["activity_type_id"] else False,
            }])
    writes.unlink(env, "mail.activity", ids, check_access=False)
    return False


def action_done(env: Env, model: str, ids: list[int]):
    return activity_action_feedback(env, model, ids)


def has_group(env: Env, model: str, *args, **kwargs):
    """``res.users.has_group(group_ext_id)``: whether the logged-in user has the group (implied ones included).

    Odoo 17 declares it ``@api.model``: over RPC the only argument is the group, and the answer is
    for the caller. The record form of Odoo 18+ (``has_group([uid], group)``) fails here as it does on
    a real 17 server, with the TypeError of a method given one argument too many.
    """
    given = len(args) + len(kwargs)
    if given == 0:
        raise PythonError("TypeError", "Users.has_group() missing 1 required positional argument: 'group_ext_id'")
    if given > 1 or (kwargs and "group_ext_id" not in kwargs):
        raise PythonError("TypeError", f"Users.has_group() takes 2 positional arguments but {given + 1} were given")
    group_ext_id = args[0] if args else kwargs["group_ext_id"]
    if not isinstance(group_ext_id, str) or "." not in group_ext_id:
        raise ValueError("External ID must be fully qualified")
    return env.has_group(group_ext_id)


def has_group_of_users(env: Env, model: str, ids: list[int], *args, **kwargs):
    """Odoo 18+'s record method ``res.users.has_group(group_ext_id)`` on ``ids`` (one user).

    The answer is for that user (the sandbox answers for the caller's own record, as clients ask).
    """
    if len(ids) > 1:
        raise ValueError(f"Expected singleton: res.users({', '.join(str(i) for i in ids)},)")
    given = len(args) + len(kwargs)
    if given != 1 or (kwargs and "group_ext_id" not in kwargs):
        raise PythonError("TypeError", "ResUsers.has_group() takes 2 positional arguments but "
                                       f"{given + 1} were given")
    group_ext_id = args[0] if args else kwargs["group_ext_id"]
    if not isinstance(group_ext_id, str) or "." not in group_ext_id:
        raise ValueError("External ID must be fully qualified")
    if not ids:
        return False
    user_env = env if ids[0] == env.uid else Env(env.store, ids[0], env.context, env.model_rules)
    return user_env.has_group(group_ext_id)


def context_get(env: Env, model: str):
    return user_context(env)


def user_context(env: Env) -> dict:
    """``res.users.context_get``: the user's ``lang`` and ``tz``, and ``uid`` (key order as Odoo's)."""
    row = env.user_row
    lang = (row[5] if row and row[5] else None) or "en_US"
    tz = (row[6] if row and row[6] else None) or False
    return {"lang": lang, "tz": tz, "uid": env.uid}


def session_info(env: Env, db_name: str, base_url: str | None = None) -> dict:
    """The dictionary ``/web/session/authenticate`` answers with (Odoo 17's ``session_info``)."""
    version = recorded_version(env.store.serie)
    row = env.user_row
    conn = env.conn
    partner_id = env.partner_id
    partner_display = False
    if partner_id:
        partner_display = env.query.display_names("res.partner", [partner_id]).get(partner_id, False)
    companies = conn.execute(
        "SELECT id, name, sequence, parent_id FROM res_company ORDER BY sequence, name"
    ).fetchall()
    children: dict[int, list[int]] = {}
    for cid, _name, _seq, parent in companies:
        if parent:
            children.setdefault(int(parent), []).append(int(cid))
    allowed = {
        str(cid): {"id": int(cid), "name": name, "sequence": int(seq or 0), "child_ids": children.get(int(cid), []),
                   "parent_id": int(parent) if parent else False}
        for cid, name, seq, parent in companies
    }
    currencies = {
        str(cid): {"symbol": symbol, "position": position or "after", "digits": [69, _decimals(rounding)]}
        for cid, symbol, position, rounding in conn.execute(
            "SELECT id, symbol, position, rounding FROM res_currency WHERE COALESCE(active, 1) = 1 ORDER BY id"
        ).fetchall()
    }
    groups = env.groups
    return {
        "uid": env.uid,
        "is_system": "base.group_system" in groups,
        "is_admin": "base.group_erp_manager" in groups,
        "is_internal_user": "base.group_user" in groups,
        "user_context": user_context(env),
        "db": db_name,
        "server_version": version["server_version"],
        "server_version_info": version["server_version_info"],
        "support_url": "https://www.odoo.com/buy",
        "name": (row[4] if row else False) or False,
        "username": (row[1] if row else False) or False,
        "partner_display_name": partner_display,
        "partner_id": partner_id or False,
        "web.base.url": base_url or env.store.get_meta("web.base.url", "http://localhost:8069"),
        "active_ids_limit": 20000,
        "max_file_upload_size": 134217728,
        "home_action_id": False,
        "currencies": currencies,
        "bundle_params": {"lang": user_context(env)["lang"]},
        "user_companies": {"current_company": env.company_id, "allowed_companies": allowed,
                           "disallowed_ancestor_companies": {}},
        "show_effect": True,
        "display_switch_company_menu": len(allowed) > 1,
        "user_id": [env.uid],
        "notification_type": "email",
    }


def _decimals(rounding: Any) -> int:
    """Decimal places of a currency rounding (0.01 -> 2)."""
    try:
        value = float(rounding or 0.01)
    except (TypeError, ValueError):
        return 2
    places = 0
    while value < 1 and places < 6:
        value *= 10
        places += 1
    return places


def _models_with_messages() -> frozenset[str]:
    from ledgerpilot.sandbox.registry import MODEL_ORDER

    return frozenset(m for m in MODEL_ORDER if "message_ids" in _raw_schema(m))


_MOVE = frozenset({"account.move"})

METHODS: dict[str, Handler] = {
    "fields_get": Handler(fields_get, multi=False, readonly=True),
    "search": Handler(search, multi=False, readonly=True),
    "search_count": Handler(search_count, multi=False, readonly=True),
    "read": Handler(read, multi=True, readonly=True),
    "search_read": Handler(search_read, multi=False, readonly=True),
    "read_group": Handler(read_group, multi=False, readonly=True),
    "name_search": Handler(name_search, multi=False, readonly=True),
    "exists": Handler(exists, multi=True, readonly=True),
    "check_access_rights": Handler(check_access_rights, multi=False, readonly=True),
    "create": Handler(create, multi=False, readonly=False),
    "write": Handler(write, multi=True, readonly=False),
    "unlink": Handler(unlink, multi=True, readonly=False),
    "action_post": Handler(action_post, multi=True, readonly=False,
                           models=frozenset({"account.move", "account.payment"})),
    "button_draft": Handler(button_draft, multi=True, readonly=False, models=_MOVE),
    "button_cancel": Handler(button_cancel, multi=True, readonly=False, models=_MOVE),
    "message_post": Handler(message_post, multi=True, readonly=False, models=_models_with_messages()),
    "action_feedback": Handler(activity_action_feedback, multi=True, readonly=False,
                               models=frozenset({"mail.activity"})),
    "action_done": Handler(action_done, multi=True, readonly=False, models=frozenset({"mail.activity"})),
    "has_group": Handler(has_group, multi=False, readonly=True, models=frozenset({"res.users"})),
    "context_get": Handler(context_get, multi=False, readonly=True, models=frozenset({"res.users"})),
}


#: Methods whose form changed in a later serie: (method, first major of the new form) -> handler.
LATER_FORMS: dict[tuple[str, int], Handler] = {
    ("has_group", 18): Handler(has_group_of_users, multi=True, readonly=True, models=frozenset({"res.users"})),
}


def lookup(model: str, method: str, major: int = 17) -> Handler:
    """The handler of ``model.method`` on Odoo ``major``, or Odoo's AttributeError for a method the model lacks."""
    handler = METHODS.get(method)
    for (name, since), later_form in LATER_FORMS.items():
        if name == method and major >= since:
            handler = later_form
    if handler is None or (handler.models is not None and model not in handler.models):
        raise PythonError("AttributeError", f"The method '{method}' does not exist on the model '{model}'")
    return handler
