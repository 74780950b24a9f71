"""Django admin for configuration, one module per area (autodiscovery imports this package)."""

from workflow.admin import (
    award,  # noqa: F401
    core,  # noqa: F401
    experts,  # noqa: F401
    landing,  # noqa: F401
    performance,  # noqa: F401
    rubrics,  # noqa: F401
    subsidies,  # noqa: F401
    tolerance,  # noqa: F401
)
