"""The HTTP services: ``web.shop`` (pages + JSON API), ``web.auth``, ``web.bank``; shared
plumbing in ``web.common``."""
