"""Prompt templates: one Markdown file per prompt and version, rendered with Jinja2.

A prompt named ``chat_system`` lives in ``chat_system.v1.md``, ``chat_system.v2.md``, ...; the
highest version is the one in use, and older ones stay beside it so a change of wording is a new
file (reviewable, and comparable in the agent evals) rather than an edit that silently changes
behaviour. The version travels with the text (:class:`Prompt`), so runs can record which wording
they used.

Rendering is strict: a value the template uses but the caller did not pass is an error naming the
prompt and the value, never an empty gap in a system prompt.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from ledgerpilot.errors import LedgerpilotError

PROMPTS_FOLDER = Path(__file__).resolve().parent
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.md$")


class PromptError(LedgerpilotError):
    """A prompt is missing, misnamed, or cannot be rendered with the values given."""


@dataclass(frozen=True)
class Prompt:
    """One version of one prompt: its Jinja2 source text."""

    name: str
    version: int
    text: str

    @property
    def label(self) -> str:
        """``chat_system.v1``: how runs and evals name the wording they used."""
        return f"{self.name}.v{self.version}"

    def render(self, **values: Any) -> str:
        """The prompt with ``values`` filled in; a value the template needs but was not given is an error."""
        return self.render_text(**values) + "\n"

    def render_text(self, **values: Any) -> str:
        """:meth:`render` without the final newline: a line or a message part rather than a whole prompt."""
        try:
            template = _ENVIRONMENT.from_string(self.text)
        except jinja2.TemplateSyntaxError as exc:
            raise PromptError(f"prompt {self.label} is not a valid template (line {exc.lineno}: {exc.message})"
                              ) from exc
        try:
            return template.render(**values).strip()
        except jinja2.UndefinedError as exc:
            given = ", ".join(sorted(values)) or "none"
            raise PromptError(f"prompt {self.label} needs a value that was not given ({exc.message}); "
                              f"values given: {given}") from exc


    def sections(self, **values: Any) -> dict[str, str]:
        """A prompt made of parts, each under a line ``## <name>``: the rendered text of each part, by name."""
        found: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in self.render_text(**values).splitlines():
            if line.startswith("## "):
                name = line[3:].strip()
                if name in found:
                    raise PromptError(f"prompt {self.label} has two parts named {name!r}")
                current = found[name] = []
            elif current is not None:
                current.append(line)
        return {name: "\n".join(lines).strip() for name, lines in found.items()}


_ENVIRONMENT = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                                  trim_blocks=True, lstrip_blocks=True)


class PromptLibrary:
    """The prompts of one folder. The package's own folder serves the product (:func:`load_prompt`)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._cache: dict[tuple[str, int | None], Prompt] = {}
        self._lock = threading.Lock()

    def versions(self, name: str) -> dict[int, Path]:
        """The versions of prompt ``name`` present, by number."""
        _check_name(name)
        found: dict[int, Path] = {}
        if self.folder.is_dir():
            for path in self.folder.glob(f"{name}.v*.md"):
                match = _FILE.match(path.name)
                if match and match["name"] == name:
                    found[int(match["version"])] = path
        return found

    def names(self) -> list[str]:
        """Every prompt name with at least one version."""
        if not self.folder.is_dir():
            return []
        return sorted({m["name"] for p in self.folder.iterdir() if (m := _FILE.match(p.name))})

    def load(self, name: str, version: int | None = None) -> Prompt:
        """Prompt ``name`` at ``version``, or its highest version when none is asked for."""
        key = (name, version)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        versions = self.versions(name)
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise PromptError(f"there is no prompt named {name!r} in {self.folder} (expected a file {name}.v1.md); "
                              f"prompts there: {known}")
        chosen = max(versions) if version is None else version
        if chosen not in versions:
            raise PromptError(f"prompt {name!r} has no version {version} in {self.folder}; versions there: "
                              + ", ".join(f"v{v}" for v in sorted(versions)))
        try:
            text = versions[chosen].read_text(encoding="utf-8")
        except OSError as exc:
            raise PromptError(f"cannot read prompt {versions[chosen]}: {exc.strerror or exc}") from exc
        prompt = Prompt(name=name, version=chosen, text=text)
        with self._lock:
            self._cache[key] = prompt
        return prompt

    def render(self, name: str, /, **values: Any) -> str:
        return self.load(name).render(**values)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PromptError(f"a prompt name is lower-case letters, digits and underscores (like 'chat_system'), "
                          f"not {name!r}")


PACKAGE_PROMPTS = PromptLibrary(PROMPTS_FOLDER)


def load_prompt(name: str, version: int | None = None) -> Prompt:
    """The latest version of one of ledgerpilot's prompts (or ``version``), e.g. ``load_prompt("chat_system")``."""
    return PACKAGE_PROMPTS.load(name, version)


def render_prompt(name: str, /, **values: Any) -> str:
    """The latest version of prompt ``name`` rendered with ``values`` (all of them required)."""
    return PACKAGE_PROMPTS.render(name, **values)


def prompt_versions() -> dict[str, str]:
    """The version in use of each of ledgerpilot's prompts, by name (``{"chat_system": "chat_system.v1", ...}``)."""
    return {name: load_prompt(name).label for name in PACKAGE_PROMPTS.names()}


def prompt_text(name: str, /, **values: Any) -> str:
    """The latest version of prompt ``name`` rendered as a line or message part (no final newline)."""
    return load_prompt(name).render_text(**values)


__all__ = ["PACKAGE_PROMPTS", "PROMPTS_FOLDER", "Prompt", "PromptError", "PromptLibrary", "load_prompt",
           "prompt_text", "prompt_versions",
           "render_prompt"]
