"""Inbound call flows: what a caller on the hotline hears and can do."""
