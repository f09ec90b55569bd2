"""Clients of other systems: the identity providers, the services behind the gateway, live tracking."""
