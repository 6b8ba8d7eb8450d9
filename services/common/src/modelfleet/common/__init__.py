"""modelfleet.common"""
