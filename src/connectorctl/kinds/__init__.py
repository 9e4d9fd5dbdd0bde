"""Resource kinds: each brings its fields, actions, diff, lifecycle and endpoints."""
