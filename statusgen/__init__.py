"""statusgen: a static site generator for service status history."""

__version__ = "0.1.0"
