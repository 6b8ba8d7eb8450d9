"""The prediction collector: store of record for predictions and labels, and the golden-set
evaluation job that tests every new model version class by class."""
