"""Handlers you write and own: one module per operation, created once by `make generate`."""
