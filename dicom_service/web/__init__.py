"""The HTTP runtime shared by every transaction: routing, request context, checks, media types, answers."""
