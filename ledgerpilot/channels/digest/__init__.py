"""The weekly narrative digest: built from the agent's tools, written by the grounded writer, sent by SMTP."""
