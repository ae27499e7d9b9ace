"""Tables that fit the terminal with every amount shown in full.

Rich shrinks a table that is wider than the terminal by cutting its cells ("3,281,…"): an amount cut
short is worse than none. :func:`fit` lays a table out for the console's width, in the first of these
that fits:

1. the table as drawn, its numbers (right-aligned columns) kept whole and its text wrapped;
2. the same without borders, one space between columns;
3. split into several tables of the columns side by side, each repeating the first column (a table of
   figures: the forecast's weeks, the budget lines), the widest first;
4. one block per row, each value on its own line under the row's first value (a table of words: the
   anomalies, the close checks).

Columns empty on every row are left out whenever the table has to be narrowed. Numbers are never cut,
wrapped or shortened in any of the layouts; words wrap between words, and a word longer than a column
is folded rather than cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

#: the room a column needs beside its cells in the compact layout (one space on each side)
COMPACT_PADDING = (0, 1)


@dataclass(frozen=True)
class _Column:
    header: str
    justify: str
    cells: tuple[Any, ...]
    style: Any

    @property
    def numeric(self) -> bool:
        return self.justify == "right"

    @property
    def empty(self) -> bool:
        return all(not _plain(cell).strip() for cell in self.cells)

    def widest(self) -> int:
        return max([_width(self.header), *(_width(cell) for cell in self.cells)], default=0)

    def longest_word(self) -> int:
        """The narrowest this column gets: its longest word (a number is one word, kept whole)."""
        if self.numeric:
            return self.widest()
        return max((_longest_word(text) for text in (self.header, *map(_plain, self.cells))), default=1)


#: a word as Rich's wrapping cuts a line: the spaces after it go with it, those at the line's start too
_WORD = re.compile(r"\s*\S+\s*")


def _longest_word(text: str) -> int:
    """The widest word of ``text`` as Rich measures it when wrapping: the spaces a line starts with belong
    to its first word (" overdue" needs eight columns, not seven), the spaces after a word do not count."""
    return max((len(word.rstrip()) for line in text.splitlines() for word in _WORD.findall(line)), default=1)


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        try:
            return Text.from_markup(cell).plain
        except Exception:       # noqa: BLE001 -- text that is not valid markup is shown as it is
            return cell
    return str(cell)


def _width(cell: Any) -> int:
    return max((len(line) for line in _plain(cell).splitlines()), default=0)


def _columns(table: Table) -> list[_Column]:
    return [_Column(header=_plain(column.header), justify=column.justify, cells=tuple(column._cells),
                    style=column.style) for column in table.columns]


def _build(table: Table, columns: Sequence[_Column], *, compact: bool, title: Any = None) -> Table:
    """A table of ``columns`` styled like ``table`` (borderless when ``compact``), numbers never cut."""
    options: dict[str, Any] = {"title": title if title is not None else table.title,
                               "title_justify": table.title_justify, "show_header": table.show_header,
                               "show_lines": table.show_lines, "header_style": table.header_style}
    if compact:
        options.update(box=box.SIMPLE_HEAD, padding=COMPACT_PADDING, show_edge=False, pad_edge=False)
    else:
        options.update(box=table.box, padding=table.padding, show_edge=table.show_edge)
    built = Table(**options)
    for column in columns:
        if column.numeric:
            built.add_column(column.header, justify="right", no_wrap=True, overflow="fold",
                             min_width=column.widest(), style=column.style)
        else:
            built.add_column(column.header, justify=column.justify, overflow="fold", style=column.style)
    for index, row in enumerate(table.rows):
        built.add_row(*(column.cells[index] if index < len(column.cells) else "" for column in columns),
                      style=row.style, end_section=row.end_section)
    return built


def _overhead(table: Table) -> int:
    """The characters a table draws beside its cells: borders, separators and padding."""
    return table._extra_width + sum(table._get_padding_width(i) for i in range(len(table.columns)))


def _laid_out(console: Console, table: Table, columns: Sequence[_Column], width: int, *,
              compact: bool, title: Any = None) -> Table | None:
    """``columns`` as a table no wider than ``width``, or None when their narrowest does not fit.

    Rich narrows a table that is too wide by taking from its widest columns, below their longest word if
    need be; here every column keeps at least its longest word (a number all of it), and the room left is
    shared among the text columns in proportion to what more they would take."""
    built = _build(table, columns, compact=compact, title=title)
    if Measurement.get(console, console.options.update(width=10_000), built).maximum <= width:
        return built
    room = width - _overhead(built)
    least = [column.longest_word() for column in columns]
    most = [max(column.widest(), low) for column, low in zip(columns, least)]
    if sum(least) > room:
        return None
    extra, wants = room - sum(least), [high - low for low, high in zip(least, most)]
    widths = [low + (want * extra) // max(1, sum(wants)) for low, want in zip(least, wants)]
    for index in sorted(range(len(widths)), key=lambda i: -wants[i]):      # what rounding left over
        if sum(widths) < room and widths[index] < most[index]:
            widths[index] += 1
    for column, value in zip(built.columns, widths):
        column.width = value
    return built


def fit(table: Table, console: Console) -> RenderableType:
    """``table`` laid out for ``console.width`` with every number whole (see the module docstring)."""
    width = console.width
    columns = _columns(table)
    drawn = _laid_out(console, table, columns, width, compact=False)
    if drawn is not None:
        return drawn
    columns = [column for column in columns if not column.empty] or columns[:1]
    compact = _laid_out(console, table, columns, width, compact=True)
    if compact is not None:
        return compact
    key, rest = columns[0], columns[1:]
    if rest and sum(column.numeric for column in rest) * 2 >= len(rest):
        groups = _groups(console, table, key, rest, width)
        if groups is not None:
            return Group(*groups)
    return _blocks(table, columns)


def _groups(console: Console, table: Table, key: _Column, rest: Sequence[_Column], width: int) -> list[Table] | None:
    """The columns in tables side by side that each fit ``width``, each led by ``key``; None if one cannot."""
    groups: list[list[_Column]] = []
    current: list[_Column] = []
    for column in rest:
        if _laid_out(console, table, [key, *current, column], width, compact=True) is not None:
            current.append(column)
            continue
        if not current:
            return None             # this column does not fit even beside the first one alone
        groups.append(current)
        current = [column]
        if _laid_out(console, table, [key, column], width, compact=True) is None:
            return None
    if current:
        groups.append(current)
    built = []
    for number, group in enumerate(groups, start=1):
        title = table.title if number == 1 else None
        part = f"({number}/{len(groups)}"
        if title is not None and len(groups) > 1:
            title = Text.assemble(_as_text(title), f" {part})")
        elif title is None and table.title is not None:
            title = Text(f"{part}, continued)")
        built.append(_laid_out(console, table, [key, *group], width, compact=True, title=title or ""))
    return built


def _as_text(value: Any) -> Text:
    return value if isinstance(value, Text) else Text.from_markup(str(value))


def _blocks(table: Table, columns: Sequence[_Column]) -> RenderableType:
    """One block per row: its first value as a heading, then each other value under its column's name."""
    parts: list[RenderableType] = []
    if table.title:
        parts.append(_as_text(table.title))
    key, rest = columns[0], columns[1:]
    label_width = max((len(column.header) for column in rest), default=0) + 1
    for index in range(len(table.rows)):
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, width=label_width, style="dim")
        grid.add_column(overflow="fold")
        for column in rest:
            cell = column.cells[index] if index < len(column.cells) else ""
            if _plain(cell).strip():
                grid.add_row(f"{column.header}:" if column.header else "", cell)
        heading = key.cells[index] if index < len(key.cells) else ""
        heading = heading if isinstance(heading, Text) else _as_text(str(heading))
        label = Text(f"{key.header} ", style="dim") if key.header else Text("")
        parts.append(Group(Text.assemble(Text("▸ ", style="bold"), label, heading), Padding(grid, (0, 0, 0, 2))))
    return Group(*parts)
