"""ragserve: the served API over ragplatform."""
