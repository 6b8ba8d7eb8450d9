"""The golden-set evaluation job: targets, golden sets, claims, scoring and the runner."""
