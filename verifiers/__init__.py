"""Standalone, pure checks. Each returns a small frozen result object that says what it saw and why.

Importing this package is cheap: heavy dependencies (sympy, fastText) load on first use.
"""
