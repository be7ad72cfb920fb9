"""Spec-first generator: specs → loader → model → renderers (service, docs, review) → files."""
