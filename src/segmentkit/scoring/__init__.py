"""The saved model (``model.skops``) that puts new customers into a run's segments."""
