"""modelfleet.drift_monitor"""
