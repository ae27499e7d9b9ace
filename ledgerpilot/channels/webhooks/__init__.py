"""Odoo automation-rule webhooks: signed, replay-protected, validated, and turned into idempotent checks."""
