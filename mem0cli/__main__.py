"""`python -m mem0cli`."""

from .entry import main

main()
