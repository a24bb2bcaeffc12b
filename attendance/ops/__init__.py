"""What administrators and operators run: the operations page's actions, roster imports, demo data."""
