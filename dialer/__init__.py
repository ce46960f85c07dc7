"""Outbound campaigns (the autoinformer)."""
