"""Math answer verification: `verify(gold, pred)` and `extract_answer(completion)`.

Importing this package does not import sympy or mpmath; mpmath loads on the first comparison
that needs more than double precision.
"""

from .extract import extract_answer
from .verdict import MathVerdict
from .verify import DEFAULT_TIMEOUT, verified_part, verify

__all__ = ["DEFAULT_TIMEOUT", "MathVerdict", "extract_answer", "verified_part", "verify"]
