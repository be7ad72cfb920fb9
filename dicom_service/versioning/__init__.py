"""The versioning runtime: API version numbers, the versions each endpoint declares, their headers."""
