"""Provider-neutral machinery of the play-by-play adapters: numbered events from source rows,
the running-score check, and re-poll revisions (edits and deletions)."""
