"""Search service: projects the ``listings`` topic into Redis and serves the shoppers' API and web page."""
