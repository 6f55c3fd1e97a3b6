"""Git data: which commit a CI job deploys (``checkout``), and commits for change lead time."""
