"""modelfleet.collector"""
