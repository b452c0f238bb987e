"""`python -m codestral_lsp` runs the same program as the `codestral-lsp` script."""

from codestral_lsp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
