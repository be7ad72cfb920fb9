"""QIDO-RS: query parsing, matching results, answers."""
