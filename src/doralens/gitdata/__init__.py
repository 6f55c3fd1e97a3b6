"""Commit data for change lead time: which commits a deployment shipped, from a repository or uploaded metadata.

``commits`` holds the interface (``CommitSource``) and its records; ``local`` reads git repositories on disk and
mirrors (``mirrors``); ``uploaded`` stores commit metadata sent by the CLI (format and collection in ``payload``);
``leadtime`` turns deployments and shipped ranges into per-commit lead times; ``records`` keeps them; ``checkout`` reads
the repository URL and commit of the CI checkout the CLI runs in.
"""
