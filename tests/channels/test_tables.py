"""Tables fitted to the terminal: whatever the width, every number is printed whole and no line is wider."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from ledgerpilot.channels.cli.tables import fit


def _render(table: Table, width: int) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    console.print(fit(table, console))
    return console.export_text().splitlines()


def _forecast_like(rows: int = 13) -> tuple[Table, list[str]]:
    table = Table(title="Weekly projection (expected closing, with the simulated P10-P90 band)", title_justify="left")
    for name in ("Week", "From", "Opening", "In", "Out", "Closing", "P10", "P90", ""):
        table.add_column(name, justify="left" if name in ("Week", "From", "") else "right")
    numbers = []
    for week in range(1, rows + 1):
        cells = [f"{Decimal(3_291_893_21 + week * 7_919_33) / 100:,.2f}", f"{Decimal(137_494_12 * week) / 100:,.2f}",
                 f"{-Decimal(139_602_55 + week) / 100:,.2f}", f"{Decimal(3_289_784_78 - week) / 100:,.2f}",
                 f"{Decimal(3_176_123_00) / 100:,.2f}", f"{Decimal(3_413_000_12) / 100:,.2f}"]
        numbers.extend(cells)
        table.add_row(str(week), f"2026-12-{week:02d}", *cells, "")
    return table, numbers


def test_a_wide_table_of_figures_is_split_into_tables_that_fit_80_columns():
    table, numbers = _forecast_like()
    lines = _render(table, 80)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80 and "…" not in text
    assert all(number in text for number in numbers)
    assert "(1/2)" in text and "(2/2, continued)" in text
    assert text.count("Week ") == 2                                   # the first column leads each part
    wide = _render(table, 160)
    assert "(1/2)" not in "\n".join(wide) and all(n in "\n".join(wide) for n in numbers)


def test_a_table_of_words_becomes_one_block_per_row():
    table = Table(title="Top anomalies")
    for name, justify in (("id", "left"), ("risk", "right"), ("status", "left"), ("kind", "left"),
                          ("partner / user", "left"), ("amount EUR", "right"), ("record", "left"),
                          ("finding", "left")):
        table.add_column(name, justify=justify)
    table.add_row("ec8ef9790e1ad916", "0.99", "alert (new)", "payment amount outlier", "Officenet Utilities",
                  "20,200.00", "PBNK1/2026/00670", "Officenet Utilities: payment of 20,200.00 EUR, 11.9 times the "
                  "usual 1,694.72 EUR")
    table.add_row("10abed67ea94551e", "0.95", "alert (new)", "posting at odd hour", "controller", "",
                  "MISC/2026/09/0002", "Entry created at an odd hour")
    lines = _render(table, 80)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80 and "…" not in text
    assert "▸ id ec8ef9790e1ad916" in text and "amount EUR: 20,200.00" in " ".join(text.split())
    assert "PBNK1/2026/00670" in text and "1,694.72" in text
    assert text.count("amount EUR:") == 1                       # an empty value is left out of its block


def test_a_table_that_fits_is_left_as_drawn():
    table = Table(title="Bank")
    table.add_column("account")
    table.add_column("balance", justify="right")
    table.add_row("101401 Bank", "3,286,685.34 EUR")
    lines = _render(table, 80)
    assert lines[1].startswith("┏") and "3,286,685.34 EUR" in "\n".join(lines)


words = st.text(alphabet=st.sampled_from("abcdefghij /-"), min_size=0, max_size=40)
amounts = st.decimals(min_value=-10**10, max_value=10**10, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(width=st.integers(min_value=48, max_value=140), text_columns=st.integers(min_value=1, max_value=3),
       number_columns=st.integers(min_value=1, max_value=9), rows=st.lists(
           st.tuples(st.lists(words, min_size=3, max_size=3), st.lists(amounts, min_size=9, max_size=9)),
           min_size=1, max_size=6))
def test_any_table_at_any_width_keeps_every_number_whole(width, text_columns, number_columns, rows):
    table = Table(title="t")
    for index in range(text_columns):
        table.add_column(f"text {index}")
    for index in range(number_columns):
        table.add_column(f"amount {index}", justify="right")
    numbers = []
    for texts, values in rows:
        cells = [f"{value:,.2f}" for value in values[:number_columns]]
        numbers.extend(cells)
        table.add_row(*texts[:text_columns], *cells)
    lines = _render(table, width)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= width
    assert "…" not in text
    tokens = set(text.split())
    assert all(number in tokens for number in numbers), [n for n in numbers if n not in tokens]
    cut = [word for texts, _values in rows for cell in texts[:text_columns] for word in cell.split()
           if word not in tokens]
    assert cut == [], "words are wrapped between words, never cut"
