"""Lernraum: a real-time server for live online workshops."""

__version__ = "0.1.0"
