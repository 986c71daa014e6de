"""qabot: answers questions about machine-learning frameworks from a knowledge base."""

__version__ = "0.1.0"
