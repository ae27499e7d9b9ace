"""Fields Odoo renamed between 17 and 19, and the name the connected Odoo uses.

Code asks for a field by its 17 name; :func:`field_on` answers with the name this Odoo has (the
same, or the later one), or None when it has neither (a module not installed). Readers use it to
ask for the right field and to rename the column back, so the calculators see one vocabulary.

Seen on the recorded servers (``odoo-schema/17.0`` and ``19.0``):

- ``account.move.payment_id`` -> ``origin_payment_id`` (the payment that generated the entry);
- ``account.payment.ref`` -> ``memo`` (18: a payment no longer inherits its entry's fields);
- ``purchase.order.line.product_uom`` -> ``product_uom_id``, ``taxes_id`` -> ``tax_ids``;
- ``sale.order.line.product_uom`` -> ``product_uom_id``, ``tax_id`` -> ``tax_ids``;
- ``res.users.groups_id`` -> ``group_ids``.

Not renames, and handled where they are read: ``account.account.company_id`` became the
many2many ``company_ids`` and ``deprecated`` became ``active`` (the opposite meaning);
``res.company.period_lock_date`` is gone (:mod:`ledgerpilot.odoo.lock_dates`).
"""

from __future__ import annotations

from collections.abc import Iterable

RENAMED: dict[tuple[str, str], str] = {
    ("account.move", "payment_id"): "origin_payment_id",
    ("account.payment", "ref"): "memo",
    ("purchase.order.line", "product_uom"): "product_uom_id",
    ("purchase.order.line", "taxes_id"): "tax_ids",
    ("sale.order.line", "product_uom"): "product_uom_id",
    ("sale.order.line", "tax_id"): "tax_ids",
    ("res.users", "groups_id"): "group_ids",
}


def field_on(client, model: str, name: str) -> str | None:
    """The name of field ``name`` (as Odoo 17 calls it) on the connected Odoo, or None if it has none."""
    known = client.fields_get(model)
    if name in known:
        return name
    later = RENAMED.get((model, name))
    return later if later in known else None


def fields_on(client, model: str, names: Iterable[str]) -> dict[str, str]:
    """``{17 name: name on this Odoo}`` for the fields of ``names`` it has (the others are left out)."""
    out = {}
    for name in names:
        found = field_on(client, model, name)
        if found is not None:
            out[name] = found
    return out
