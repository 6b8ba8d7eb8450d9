"""Dataset loading, identifier detection, digests and the synthetic gaming generator."""
