"""Developer tools for Shafaf (not part of the published site)."""
