"""Settings for benchmarks/crush.py's server only: the project's settings, plus the bare
endpoints of benchmarks/crush_urls.py (the baseline without the workflow)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.crush_urls"
