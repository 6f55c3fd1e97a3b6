"""``python -m doralens`` runs the command line."""

from doralens.cli import main

main()
