"""Local sandbox for untrusted code (see issue 3)."""
