"""modelfleet.trainer"""
