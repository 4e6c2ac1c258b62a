"""Synthetic data: the demo story (story.py, through the crm rules), bulk sizes up to 1m
(bulk.py, straight through the driver), the committed demo.db (demo.py) and `rolodex seed`
(commands.py)."""
