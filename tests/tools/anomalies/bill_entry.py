"""Entering a bill through the sandbox as the billing clerk would: a second copy of a typical recent bill."""

from __future__ import annotations

import datetime as dt
import statistics


def enter_duplicate_bill(client, partner_name: str | None = None, *, same_reference: bool) -> tuple[int, int]:
    """Enter (as the clerk who usually does) a second copy of a typical recent bill two days after it;
    (new id, original id)."""
    bills = client.search_read("account.move", [("move_type", "=", "in_invoice"), ("state", "=", "posted")],
                               ["id", "ref", "partner_id", "amount_total", "journal_id", "invoice_date"], order="id")
    by_partner: dict[str, list[dict]] = {}
    for bill in bills:
        by_partner.setdefault(bill["partner_id"][1], []).append(bill)
    name = partner_name or max(by_partner, key=lambda key: len(by_partner[key]))
    group = by_partner[name]
    usual = statistics.median(bill["amount_total"] for bill in group)
    original = min(group[-12:], key=lambda bill: abs(bill["amount_total"] - usual))
    lines = client.search_read("account.move.line", [("move_id", "=", original["id"])],
                               ["account_id", "name", "quantity", "price_unit", "debit", "credit", "display_type",
                                "tax_ids", "product_id"])
    products = [[0, 0, {"account_id": line["account_id"][0], "name": line["name"], "quantity": line["quantity"],
                        "price_unit": line["price_unit"], "product_id": line["product_id"] and line["product_id"][0],
                        "tax_ids": [[6, 0, line["tax_ids"]]]}] for line in lines if line["display_type"] == "product"]
    others = [[0, 0, {"account_id": line["account_id"][0], "name": line["name"], "debit": line["debit"],
                      "credit": line["credit"], "display_type": line["display_type"]}]
              for line in lines if line["display_type"] != "product"]
    ref = original["ref"] if same_reference else f"{original['ref']}-B"
    day = (dt.date.fromisoformat(original["invoice_date"]) + dt.timedelta(days=2)).isoformat()
    new = client.create("account.move", {
        "move_type": "in_invoice", "partner_id": original["partner_id"][0], "ref": ref, "invoice_date": day,
        "date": day, "journal_id": original["journal_id"][0], "invoice_line_ids": products, "line_ids": others})
    client.call("account.move", "action_post", [new])
    return int(new), int(original["id"])
