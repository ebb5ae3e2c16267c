"""RetainOps: client retention operations for agencies."""
