"""Rules of ``mail.activity``: an activity points at an existing record of a served model.

Odoo fills ``res_model`` from ``res_model_id`` (and back) and stores the record's name in
``res_name``; the product lists activities by document, so both are kept.
"""

from __future__ import annotations

from typing import Any

from ledgerpilot.sandbox.env import Env
from ledgerpilot.sandbox.exceptions import UserError
from ledgerpilot.sandbox.writes import ModelRules, existing_ids


class ActivityRules(ModelRules):
    def prepare_create(self, env: Env, vals: dict[str, Any]) -> None:
        if vals.get("res_model_id") and not vals.get("res_model"):
            row = env.conn.execute("SELECT model FROM ir_model WHERE id = ?", (vals["res_model_id"],)).fetchone()
            if row:
                vals["res_model"] = row[0]
        res_model, res_id = vals.get("res_model"), vals.get("res_id")
        if not res_model or not res_id:
            return
        if res_model not in env.store.registry:
            raise UserError(f"Object {res_model} doesn't exist")
        if not existing_ids(env, res_model, [int(res_id)]):
            raise UserError(f"The record {res_model}({res_id},) of this activity does not exist.")
        vals.setdefault("res_name", env.query.display_names(res_model, [int(res_id)]).get(int(res_id)) or False)
