"""Long-running operations: records, the worker that runs them, their leases, their HTTP answers."""
