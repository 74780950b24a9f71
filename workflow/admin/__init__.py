"""Django admin for configuration, one module per area (autodiscovery imports this package)."""

from workflow.admin import (
    core,  # noqa: F401
    experts,  # noqa: F401
    rubrics,  # noqa: F401
    subsidies,  # noqa: F401
)
