"""Entrypoints: the command line and the HTTP gateway; they call the composition root."""
