"""The agent: answering CFO and controller questions from the books, with or without a language model.

- ``llm`` — the model client: any OpenAI-compatible endpoint through the ``openai`` SDK, with retries,
  token totals, and every call written to the run log (``run_log``) and the audit log.
- ``router``, ``question_parsing`` — offline mode: which tools answer a question, and their arguments,
  without a model.
- ``answer_templates``, ``formatting`` — answers written from tool results by templates.
- ``grounding``, ``writer`` — every number in model-written text is checked against the tool results;
  text that fails is rewritten once, then replaced by the template answer.
- ``agent`` — one question of a conversation in, one grounded answer with its sources out (the chat
  graph in :mod:`chat_graph`, its state in :mod:`chat_state`, does the steps).

Prompts live in :mod:`ledgerpilot.prompts`; tools in :mod:`ledgerpilot.tools`.
"""
