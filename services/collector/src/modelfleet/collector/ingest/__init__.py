"""Ingest of prediction logs and labels: fast parsing and bulk writes."""
