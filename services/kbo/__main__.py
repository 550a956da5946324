"""``python -m services.kbo``: the same as ``buurt-kbo``."""

from services.kbo.cli import main

main()
