"""The mock service: answers from the spec's examples."""
