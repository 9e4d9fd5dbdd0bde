"""ConnectorStaged: field table, action semantics, diff and lifecycle rules."""
