"""HTTP routes of the trainer: each module only translates HTTP to a core module call."""
