"""Scoreline's domain: games, their events and the rules of each sport.

Imports nothing outside the standard library and ``eventsourcing``.
"""
