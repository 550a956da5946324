"""The wire contract shared by the three services: events, topic names and configs, codec."""
