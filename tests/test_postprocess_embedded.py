"""A fenced code block in Markdown is judged as code of its tag's language: which blocks are,
and what the rules read of them."""

from __future__ import annotations

import pytest

from codestral_lsp import context
from codestral_lsp.postprocess.embedded import code_block


def at_cursor(text: str, language: str = "markdown") -> context.Context:
    """The context at ``|`` in ``text``."""
    offset = text.index("|")
    doc = text.replace("|", "", 1)
    return context.build(doc, offset, "file:///w/README.md", language=language)


@pytest.mark.parametrize(
    ("fence", "closing", "language"),
    [
        ("```js", "```", "javascript"),
        ("```ts", "```", "typescript"),
        ("``` python", "```", "python"),
        ("```{python}", "```", "python"),
        ("~~~ruby", "~~~", "ruby"),
        ("  ```sh", "  ```", "shellscript"),
        ('```rust title="main.rs"', "```", "rust"),
    ],
)
def test_a_tagged_block_is_read_as_its_language(fence: str, closing: str, language: str) -> None:
    ctx = at_cursor(f"# Title\n\nIt's easy:\n\n{fence}\nx = 1\n|\ny = 2\n{closing}\n\nDone.\n")
    block = code_block(ctx)
    assert block.language == language
    assert block.prefix == "x = 1\n"
    assert block.suffix == "\ny = 2\n"
    assert block.offset == len(block.prefix)  # the whole file the rules read


@pytest.mark.parametrize(
    "text",
    [
        "# Title\n\nSome prose |here.\n\n```js\nx()\n```\n",  # not in a block
        "```js\nx()\n```\n\nSome prose |here.\n",  # after a closed block
        "```console\n$ npm install |\n```\n",  # a tag the rules do not know
        "```\nplain |text\n```\n",  # no tag
        "```js|\nx()\n```\n",  # on the opening fence's line
        "```js\nx(|\n\n## Next\n\n```py\ny()\n```\n",  # still being written: a block opens below
        "```js\nx(|\n",  # not closed below
        "1. Use jq:\n    ```sh\n    $ jq |\n\n```\nplain\n```\n",  # the next fence is another's
        "```markdown\n# Nested |\n```\n",  # Markdown in Markdown
    ],
)
def test_elsewhere_markdown_is_read_as_markdown(text: str) -> None:
    ctx = at_cursor(text)
    assert code_block(ctx) is ctx


def test_other_files_are_read_as_they_are() -> None:
    ctx = at_cursor('"""Docs.\n\n```js\nx(|\n```\n"""\n', language="python")
    assert code_block(ctx) is ctx
