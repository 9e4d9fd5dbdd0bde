"""The Connect API: OAuth client with one retry policy, target resolution, session, paged reads."""
