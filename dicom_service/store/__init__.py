"""STOW-RS: receive instances, check them, store them, answer the response data set."""
