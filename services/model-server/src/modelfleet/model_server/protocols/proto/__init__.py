"""Code generated from open_inference.proto by scripts/gen-grpc.py (do not edit)."""
