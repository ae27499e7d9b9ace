"""The seeded demo company of the sandbox: 24 months of Odoo 17 books and their ground truth.

``build_demo_company(data_dir, seed, scale, today)`` writes ``demo.sqlite`` and
``ground_truth.json``; ``load_ground_truth(data_dir)`` reads the latter back.

The company (Brightwave Supplies SA, EUR, generic chart of accounts) sells office furniture and
services to customers with distinct payment behaviours (``regimes.BEHAVIOURS``, mixed as the
``regime`` says), a few of them in USD; buys goods to replenish its stock (average cost, perpetual valuation); pays rent, salaries,
software subscriptions, utilities and VAT; and keeps analytic departments, projects and a budget.
The month of ``today`` is unfinished. Anomalies, look-alikes and close defects are injected on
purpose and labelled in the ground truth (``ground_truth.ANOMALY_KINDS``, ``NOT_ANOMALY_KINDS``,
``DEFECT_KINDS``). The same ``(seed, scale, today)`` gives the same tables.

Modules, in the order the builder uses them: ``base`` (company frame, users, currencies),
``chart`` (accounts, journals, taxes, payment terms), ``partners``, ``products``, ``analytics``,
then month by month ``recurring``, ``sales``, ``purchases`` (with ``stock``, ``invoices``,
``bank``, ``reconcile``, ``moves``), the planned ``anomalies`` and ``current_month``, and finally
budgets and ``activities``. ``ledger`` buffers rows; ``sequences`` names documents.
"""

from ledgerpilot.sandbox.generator.builder import build_demo_company
from ledgerpilot.sandbox.generator.ground_truth import (
    ANOMALY_KINDS,
    DEFECT_KINDS,
    NOT_ANOMALY_KINDS,
    NOVEL_ANOMALY_KINDS,
    CustomerTruth,
    Finding,
    GroundTruth,
    load_ground_truth,
)
from ledgerpilot.sandbox.generator.regimes import BEHAVIOURS, REGIMES, Regime, regime_for

__all__ = ["ANOMALY_KINDS", "BEHAVIOURS", "DEFECT_KINDS", "NOT_ANOMALY_KINDS", "NOVEL_ANOMALY_KINDS", "REGIMES",
           "CustomerTruth", "Finding", "GroundTruth", "Regime", "build_demo_company", "load_ground_truth",
           "regime_for"]
