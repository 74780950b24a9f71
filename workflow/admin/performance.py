"""Admin of the performance models."""
