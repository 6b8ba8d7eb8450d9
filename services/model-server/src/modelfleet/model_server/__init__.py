"""modelfleet.model_server"""
