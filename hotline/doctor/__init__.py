"""``hotline doctor``: checks an installation and says how to fix what is wrong."""
