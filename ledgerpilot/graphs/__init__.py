"""LangGraph workflows: the close (review, decide, apply, lock) and its report.

The chat graph is the agent's own loop and lives with it (:mod:`ledgerpilot.agent.chat_graph`)."""
