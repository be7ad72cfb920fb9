"""Housekeeping beside the operation worker: the orphan-blob sweep."""
