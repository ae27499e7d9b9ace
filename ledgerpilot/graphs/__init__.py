"""LangGraph state machines: the close (and later chat, digest, budget watch, anomaly scan)."""
