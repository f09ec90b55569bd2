"""The portal's services, in the order `portal up` starts them: the backends, then the gateway in front of them."""

SERVICES = ("catalog", "search", "requests", "notifications", "gateway")
BACKENDS = SERVICES[:-1]
