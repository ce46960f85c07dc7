"""hotline: contact-center and IVR engine on Asterisk."""

__version__ = "0.1.0"
