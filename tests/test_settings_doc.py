"""docs/settings.md is the table generated from the settings model, and is current."""

from ledgerpilot.config import SETTING_NAMES
from ledgerpilot.config_doc import DOC_PATH, render_settings_table


def test_the_committed_settings_page_is_current():
    assert DOC_PATH.read_text(encoding="utf-8") == render_settings_table(), (
        "docs/settings.md is stale: run `python -m ledgerpilot.config_doc` and commit the page")


def test_the_page_lists_every_variable_once_with_its_toml_key():
    page = render_settings_table()
    for name, path in SETTING_NAMES.items():
        row = [line for line in page.splitlines() if line.startswith(f"| `LEDGERPILOT_{name.upper()}` |")]
        assert len(row) == 1, name
        key = f"`[{path[0]}]` `{name[len(path[0]) + 1:]}`" if len(path) == 2 else f"`{name}`"
        assert key in row[0]
