"""Runnable demonstrations: ``python -m demos.NAME`` from the repository root."""
