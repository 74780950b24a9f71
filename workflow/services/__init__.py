"""The one write path: a function per decision, `<entity>_<action>(*, obj, by, ...)`.

Each runs in one transaction, locks the row, checks permission and rules, calls the FSM
transition and writes the audit event; anything that must happen after (messages) is queued
with transaction.on_commit by the caller's messenger.
"""
