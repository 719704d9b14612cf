"""Answering: prompt within a token budget, local generation, grounding checks, abstention."""
