"""`make loadtest`: the load and crash scenario against two service processes on PostgreSQL + Azurite."""
