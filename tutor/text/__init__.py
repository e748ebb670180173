"""Language knowledge at the bottom layer: sentences, words, per-language data."""
