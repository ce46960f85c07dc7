"""Fakes of the systems the engine talks to, for tests that run without them."""
