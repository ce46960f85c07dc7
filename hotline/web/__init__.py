"""The browser console for supervisors and operators (``hotline web``)."""
