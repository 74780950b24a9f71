"""Fixtures and configuration shared by the API tests."""


def pytest_configure(config):
    # The schemathesis run (tests/api/test_schemathesis.py); to move to pyproject.toml's markers.
    config.addinivalue_line(
        "markers",
        "fuzz: schemathesis over the whole REST API as every role (slow; run once, one process)",
    )
