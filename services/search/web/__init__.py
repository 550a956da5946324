"""The shoppers' web page and the ops page: server-rendered with Jinja2, no asset from outside the service."""
