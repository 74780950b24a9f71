"""Every flow that `processes.engine.sync` may start, in the order it checks them."""

from processes.acceptance import AcceptanceFlow
from processes.direct_award import DirectAwardFlow
from processes.landing import LandingFlow
from processes.performance import PerformanceFlow
from processes.selection import SelectionFlow
from processes.tolerance import ToleranceFlow

FLOWS: list[type] = [
    SelectionFlow,
    LandingFlow,
    DirectAwardFlow,
    AcceptanceFlow,
    PerformanceFlow,
    ToleranceFlow,
]
