"""The REST API (/api/v1/): a thin layer over workflow.services and workflow.selectors.

See docs/api.md and docs/decisions/0012-rest-api.md.
"""
