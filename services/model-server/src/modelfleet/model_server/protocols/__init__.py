"""Thin HTTP transports, one per protocol, all calling the one data plane."""
