"""``python -m emarket.cli`` — the same as the ``emarket`` console command."""
from emarket.cli import main

main()
