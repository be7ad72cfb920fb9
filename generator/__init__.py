"""Spec-first generator: specs → loader → model → renderers (service, docs, review) → files."""

import os

# openapi-spec-validator switches to jsonschema-rs when it is installed (the service validates request bodies
# with it); lint's located messages (failed keyword, JSON pointer) read jsonschema's error tree.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
