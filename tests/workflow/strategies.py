"""Shared hypothesis settings and strategies for the property tests of the rule functions
(tests/workflow/test_properties_*.py, issue 7 "Fuzzing").

Profiles, chosen with the HYPOTHESIS_PROFILE environment variable:

- "dev" (default): 60 examples a property, random, no example database (nothing is written into
  the repository; a failure prints the reproduction blob and the minimal example instead);
- "ci": the same number of examples, derandomised, so both CI passes see the same inputs;
- "thorough": 1,000 examples a property, for a local hunt (`HYPOTHESIS_PROFILE=thorough`).

Slow properties (the OR-Tools draw) ask for fewer examples with their own @settings.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("dev", max_examples=60, **_COMMON)
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

CENT = Decimal("0.01")


def cents(min_value: int = 0, max_value: int = 10_000) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly two places, from min_value/100 to max_value/100."""
    return st.integers(min_value, max_value).map(lambda n: Decimal(n) * CENT)


def points(max_points: int = 100) -> st.SearchStrategy[Decimal]:
    """A sheet total or an indicator score: 0.00 .. max_points, in hundredths."""
    return cents(0, max_points * 100)


def dates(start: dt.date = dt.date(2024, 1, 1), end: dt.date = dt.date(2027, 12, 31)):
    return st.dates(min_value=start, max_value=end)
