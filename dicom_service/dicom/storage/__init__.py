"""Where the service keeps its data: an index database and a blob store, each behind a small interface."""
