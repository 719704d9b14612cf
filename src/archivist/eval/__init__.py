"""Evaluation: retrieval and answer quality on a team's own questions, and regression gates."""
