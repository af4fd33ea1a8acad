"""`python -m mem0cli`."""

from .cli import main

main()
