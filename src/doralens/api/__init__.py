"""HTTP adapters: parse the request, call the domain and the store, serialise the answer."""
