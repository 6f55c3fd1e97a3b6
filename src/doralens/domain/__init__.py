"""Pure domain code: events, validation, metrics. No I/O, no HTTP, no SQL."""
