"""Delivery adapters: each takes committed notifications and delivers them one way."""
