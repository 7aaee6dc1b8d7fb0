"""Domain operations and rules. Every path into the data (view, action, import, CLI) calls these."""
