"""Revision scripts: one per schema change, file ``NNNN_topic.py``, revision id ``NNNN_topic``."""
