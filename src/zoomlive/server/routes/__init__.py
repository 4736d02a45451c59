"""HTTP translation only: parse the request, call a service, shape the answer."""
