"""codestral-lsp: Codestral fill-in-the-middle completion for every LSP editor."""

__version__ = "0.1.0"
