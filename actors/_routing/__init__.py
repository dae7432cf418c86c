"""Routing actors built on the core: the event bus, its topic trie, and worker pools."""
