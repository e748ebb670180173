"""A conversation turn: retrieve -> gate -> key sentences -> explain -> attribute."""
