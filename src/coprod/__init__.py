"""coprod."""
