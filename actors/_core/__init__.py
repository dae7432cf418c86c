"""The kernel core: the actor cell and its mailbox, envelopes, slot states, refs, the context,
the ``Actor`` base, timers, ask deadlines, dead letters, errors and the runtime's log events.

Nothing here imports the layers above (routing actors, observability, the ``ActorSystem``
facade, the testing kit); what the core needs from the system it names in ``_runtime.Runtime``.
"""
