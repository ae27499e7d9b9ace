"""The grounded writer: text with numbers only from the tool results, or the template answer.

One chain serves the chat, the weekly digest and reports:

1. Offline (no model): the template answer (:func:`~ledgerpilot.agent.answer_templates.template_answer`).
2. With a model: the chat model's own answer (``draft``), or — when there is none — a narrative the
   writer asks for (prompt ``narrative``: the request and the tool results as data).
3. Every number in that text is checked against the tool results (:func:`check_numbers`), and the text
   must claim no action that no tool of the turn performed (:func:`~ledgerpilot.agent.claims.claimed_actions`:
   "I have approved ...", "... has been posted for you"). Text that passes is used as it is.
4. Text that fails is rewritten once (prompt ``rewrite``: the draft, the failing numbers and claims
   named, the results as data) and checked again.
5. Still failing, empty, or the model unreachable: the template answer, which passes by construction.

The model never decides a number: at worst its words are replaced by the template's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ledgerpilot.agent.answer_templates import template_answer
from ledgerpilot.agent.claims import claimed_actions
from ledgerpilot.agent.grounding import GroundingReport, check_numbers
from ledgerpilot.agent.llm import LlmClient, LlmError, Usage
from ledgerpilot.prompts import load_prompt, render_prompt

log = logging.getLogger(__name__)

Source = Literal["llm", "llm_rewritten", "template"]


@dataclass(frozen=True)
class WrittenText:
    """What the writer produced and why.

    ``source`` says whose words these are; ``grounding`` is the check of ``text``; ``first_failures`` keeps
    the numbers the model's first text got wrong (empty when it was right or there was no model text);
    ``usage`` sums the tokens of the writer's own model calls (not the chat model's draft);
    ``llm_error`` says why the model could not be used, when it could not.
    """

    text: str
    source: Source
    grounding: GroundingReport
    first_failures: tuple[str, ...] = ()
    usage: Usage = field(default_factory=Usage)
    llm_error: str | None = None


def results_as_data(results: Sequence[Any]) -> str:
    """The tool results as the model reads them: JSON, Odoo text inside strings, marked as data."""
    return json.dumps([json.loads(result.for_model()) for result in results], ensure_ascii=False)


class GroundedWriter:
    """Writes the answer to a request from tool results; ``llm=None`` writes offline from templates."""

    def __init__(self, llm: LlmClient | None):
        self.llm = llm

    def write(self, *, request: str, results: Sequence[Any], draft: str | None = None,
              run_id: str = "") -> WrittenText:
        """The grounded text for ``request``: the model's (checked, rewritten once if needed) or the template's."""
        results = list(results)
        if self.llm is None:
            return self._template(results)
        usage = Usage()
        first_failures: tuple[str, ...] = ()
        try:
            text = (draft or "").strip()
            if not text:
                reply = self._call("narrative", request, render_prompt("narrative", results=results_as_data(results)),
                                   run_id)
                usage = usage + reply.usage
                text = (reply.content or "").strip()
                if not text:
                    return self._template(results, usage=usage,
                                          llm_error="the model returned an empty narrative")
            first = check_numbers(text, results)
            claims = claimed_actions(text, results)
            if first.ok and not claims:
                return WrittenText(text, "llm", first, usage=usage)
            first_failures = (*first.failures, *(f"claimed action: {c}" for c in claims))
            log.info("grounding: %d of %d numbers untraceable (%s), %d claimed action(s) (%s); asking for one "
                     "rewrite", len(first.failures), first.checked, ", ".join(first.failures), len(claims),
                     ", ".join(claims))
            prompt = render_prompt("rewrite", draft=json.dumps(text, ensure_ascii=False),
                                   failures=list(first.failures), claims=list(claims),
                                   results=results_as_data(results))
            reply = self._call("rewrite", request, prompt, run_id)
            usage = usage + reply.usage
            rewritten = (reply.content or "").strip()
            if rewritten:
                second = check_numbers(rewritten, results)
                if second.ok and not claimed_actions(rewritten, results):
                    return WrittenText(rewritten, "llm_rewritten", second, first_failures, usage)
            return self._template(results, first_failures=first_failures, usage=usage)
        except LlmError as exc:
            log.warning("the writer could not use the model (%s); answering from templates", exc)
            return self._template(results, first_failures=first_failures, usage=usage, llm_error=str(exc))

    def _call(self, purpose: str, request: str, system_prompt: str, run_id: str):
        assert self.llm is not None
        messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": request}]
        return self.llm.chat(messages, purpose=purpose, run_id=run_id, prompts=[load_prompt(purpose).label])

    @staticmethod
    def _template(results: list[Any], *, first_failures: tuple[str, ...] = (), usage: Usage | None = None,
                  llm_error: str | None = None) -> WrittenText:
        text = template_answer(results)
        return WrittenText(text, "template", check_numbers(text, results), tuple(first_failures),
                           usage if usage is not None else Usage(), llm_error)
