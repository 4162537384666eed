"""Controller tests of the auth service."""
