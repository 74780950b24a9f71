"""Admin of the landing models."""
