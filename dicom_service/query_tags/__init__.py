"""Extended query tags: their rules, their records, the reindex operation, their HTTP glue."""
