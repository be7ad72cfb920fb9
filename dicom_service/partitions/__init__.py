"""Data partitions: the default one, and the list over HTTP."""
