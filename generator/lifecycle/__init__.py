"""The version lifecycle: `python -m generator version new|deprecate|retire` (one module per command)."""
