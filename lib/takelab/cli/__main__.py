"""`python -m takelab.cli`."""

from takelab.cli import main

main()
