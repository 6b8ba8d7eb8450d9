"""modelfleet.cli"""
