"""Rolodex: a keyboard-driven terminal CRM built around associations."""

__version__ = "0.1.0"
