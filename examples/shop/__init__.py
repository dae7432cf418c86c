"""The shop demo: an order pipeline declared in a configuration file."""
