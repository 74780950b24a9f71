"""Admin of the award models."""
