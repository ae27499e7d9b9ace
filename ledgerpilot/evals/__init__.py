"""Evaluation suites: score ledgerpilot's models on real books, always beside simple baselines."""
