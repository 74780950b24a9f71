"""Reads shaped for pages: querysets with their joins, so views never loop into the database.

One module per area; the names are re-exported here.
"""

from workflow.selectors.applications import *  # noqa: F403
from workflow.selectors.dashboard import *  # noqa: F403
from workflow.selectors.experts import *  # noqa: F403
from workflow.selectors.scoring import *  # noqa: F403
