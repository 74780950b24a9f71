"""Admin of the tolerance models."""
