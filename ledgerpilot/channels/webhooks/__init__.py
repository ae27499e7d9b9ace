"""Odoo webhooks: Odoo's own automation rules (a secret in the URL) and signed relays, validated, queued and
turned into idempotent checks of the record read back from Odoo."""
