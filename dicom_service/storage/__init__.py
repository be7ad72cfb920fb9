"""Storage infrastructure: the index database (engine, tables, migrations, dialects), blobs, scratch files."""
