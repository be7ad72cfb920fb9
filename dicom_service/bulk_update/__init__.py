"""Bulk update: the change rules, the rewrite of files, the kept originals, the operation's job."""
