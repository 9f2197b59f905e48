"""Adapters: concrete implementations of the ports in domain/ports.py, and provider formats."""
