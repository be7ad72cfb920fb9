"""WADO-RS: instances, frames, rendered images and metadata from stored files."""
