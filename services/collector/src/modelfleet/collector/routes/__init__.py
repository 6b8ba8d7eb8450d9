"""HTTP routes of the collector: they only translate HTTP to the plain modules."""
