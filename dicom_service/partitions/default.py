"""Data partitions: created by the first store into them; unscoped routes use the default one."""

DEFAULT_PARTITION = "Microsoft.Default"
