"""The change feed: entries read by sequence or time window, and their HTTP glue."""
