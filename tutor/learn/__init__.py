"""Learning on top of retrieval: quiz practice, per-learner progress, what to study next."""
