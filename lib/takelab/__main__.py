from takelab.cli import main

main()
