"""The models behind the tutor: the sentence-transformers embedder and the llama.cpp generator."""
