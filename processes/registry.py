"""Every flow that `processes.engine.sync` may start, in the order it checks them."""

FLOWS: list[type] = []
