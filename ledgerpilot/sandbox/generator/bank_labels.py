"""What customers write on their transfers: the bank label (``payment_ref``) of a receipt.

Real labels name the invoice only sometimes (a share drawn per seed, 30-50% by default), and then
not always as printed (spacing, case, the year and number only); the rest carry the payer's name as
the bank shows it (in capitals, cut short, with a typo) or only the bank's own words and a
reference. A batch deposit pays several invoices with one transfer.
"""

from __future__ import annotations

import random

_BANK_WORDS = ("SEPA CREDIT TRANSFER", "SCT", "TRANSFER", "VIREMENT SEPA", "OVERSCHRIJVING")


def number_variant(rng: random.Random, name: str) -> str:
    """An invoice number as a customer may retype it: mostly as printed, else reformatted."""
    roll = rng.random()
    if roll < 0.6 or "/" not in name:
        return name
    parts = name.split("/")
    if roll < 0.75:
        return " ".join(parts)
    if roll < 0.85:
        return name.lower()
    if roll < 0.93:
        return "".join(parts)
    return "/".join(parts[1:])  # the year and number without the journal's prefix


def name_variant(rng: random.Random, name: str) -> str:
    """The payer's name as the bank shows it: whole, in capitals, cut short, or with a typo."""
    roll = rng.random()
    if roll < 0.3:
        return name
    if roll < 0.5:
        return name.upper()
    if roll < 0.75:
        cut = name.split()[0] if rng.random() < 0.5 else name[:max(6, min(len(name), rng.randint(8, 14)))]
        return cut.upper() if rng.random() < 0.5 else cut
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 3:
        return name
    i = rng.choice(letters[1:])
    kind = rng.random()
    if kind < 0.4:  # a letter dropped
        return name[:i] + name[i + 1:]
    if kind < 0.7 and i + 1 < len(name):  # two letters swapped
        return name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]
    return name[:i] + name[i] + name[i:]  # a letter doubled


def receipt_label(rng: random.Random, number_share: float, customer: str, invoices: list[str]) -> tuple[str, bool]:
    """The label of a transfer from ``customer`` paying ``invoices``, and whether it names an invoice."""
    if rng.random() < number_share:
        numbers = ", ".join(number_variant(rng, n) for n in invoices)
        template = rng.choice(("{numbers} {name}", "{name} {numbers}", "{numbers}", "Invoice {numbers}",
                               "{bank} {numbers} {name}"))
        return template.format(numbers=numbers, name=name_variant(rng, customer), bank=rng.choice(_BANK_WORDS)), True
    roll = rng.random()
    if roll < 0.75:
        label = name_variant(rng, customer)
        if rng.random() < 0.4:
            label = f"{rng.choice(_BANK_WORDS)} {label}"
        if len(invoices) > 1 and rng.random() < 0.5:
            label = f"{label} {len(invoices)} invoices"
        return label, False
    if roll < 0.9:
        return f"Payment {name_variant(rng, customer)}", False
    return f"{rng.choice(_BANK_WORDS)} E2E {rng.randint(10**7, 10**8 - 1)}", False
