"""Reward functions, composition and the batched scoring core (see issue 5)."""
