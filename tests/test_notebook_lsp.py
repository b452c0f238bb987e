"""End to end: a notebook synced through ``notebookDocument/*`` is one script to the prompt. A cell
sees the code cells of its language before and after it (markdown as comments, ``# %%`` between
cells), under the notebook's script name; edits, added, moved and removed cells change the next
prompt, typing in the cell still types through, a close forgets the notebook, and an excluded
notebook sends nothing, not even as another file's snippet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import partial_change
from fake_fim import FakeFim, Reply, keystroke_requests, keystrokes_answered
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_context_lsp import open_doc

IMPORTS = "import pandas as pd"
MARKDOWN = "## Monthly totals\nSum the sales per month."
QUERY = "SELECT month, SUM(amount) FROM sales GROUP BY month"
CURSOR_CELL = "sales = pd.read_csv('sales.csv')\ntotals = sales.groupby('month')."
PLOT = "totals.plot()"
END = len(CURSOR_CELL.split("\n")[1])  # the cursor: the end of the cell
# The script the cursor cell's prompt reads (the SQL cell is another language: left out).
BEFORE = (
    "# %%\nimport pandas as pd\n\n"
    "# %% [markdown]\n# ## Monthly totals\n# Sum the sales per month.\n\n"
    "# %%\n"
)
AFTER = "\n\n# %%\ntotals.plot()"
NOTES = "".join(f"NOTE_{i} = 'remember {i}'\n" for i in range(30))
NOTEBOOK_CAPS = types.NotebookDocumentClientCapabilities(
    synchronization=types.NotebookDocumentSyncClientCapabilities()
)


@pytest.fixture
def client(bare: LanguageClient) -> LanguageClient:
    """The client each test initialises itself (conftest's ``bare``)."""
    return bare


async def start(
    client: LanguageClient, fake: FakeFim, root: Path, notebooks: bool = True, **settings: Any
) -> types.InitializeResult:
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        notebook_document=NOTEBOOK_CAPS if notebooks else None,
    )
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="w")],
            initialization_options={
                "provider": "mistral",
                "baseUrl": fake.url,
                "apiKey": "test-key",
                "invokedCandidates": 1,
                "debounceMs": 0,
                **settings,
            },
        )
    )


async def open_sales(
    client: LanguageClient, fake: FakeFim, root: Path
) -> tuple[Notebook, list[str]]:
    """The server started against ``fake``, with :data:`SALES` open as ``analysis.ipynb``."""
    await start(client, fake, root)
    notebook = Notebook(client, root / "analysis.ipynb")
    return notebook, notebook.open(SALES)


class Notebook:
    """A notebook as VS Code's client syncs it: cell uris in ``vscode-notebook-cell:`` (percent
    encoded, as VS Code spells them), versions counted by the notebook and by each cell."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.version = 1
        self.cell_versions: dict[str, int] = {}
        self.languages: dict[str, str] = {}
        self._made = 0

    def cell_uri(self) -> str:
        self._made += 1
        return f"vscode-notebook-cell:{self.uri[len('file://') :]}#W{self._made}sZmlsZQ%3D%3D"

    def item(self, uri: str, text: str, language: str) -> types.TextDocumentItem:
        self.cell_versions[uri] = 1
        self.languages[uri] = language
        return types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)

    def open(self, cells: Sequence[tuple[str, str]]) -> list[str]:
        """Open with ``(language, text)`` cells; markdown cells are markup cells."""
        uris = [self.cell_uri() for _ in cells]
        items = [
            self.item(uri, text, language)
            for uri, (language, text) in zip(uris, cells, strict=True)
        ]
        self.client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=self.uri,
                    notebook_type="jupyter-notebook",
                    version=self.version,
                    cells=self.cells(uris),
                ),
                cell_text_documents=items,
            )
        )
        return uris

    def cells(self, uris: Sequence[str]) -> list[types.NotebookCell]:
        """The cells of these uris, in this order."""
        return [cell(uri, self.languages[uri]) for uri in uris]

    def change(self, cells: types.NotebookDocumentCellChanges) -> None:
        self.version += 1
        self.client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                notebook_document=types.VersionedNotebookDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                change=types.NotebookDocumentChangeEvent(cells=cells),
            )
        )

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        """Replace ``start``..``end`` (line, character) of one cell with ``text``."""
        self.cell_versions[uri] += 1
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=self.cell_versions[uri])
        content = [
            types.NotebookDocumentCellContentChanges(
                document=document, changes=[partial_change(start, end, text)]
            )
        ]
        self.change(types.NotebookDocumentCellChanges(text_content=content))

    def splice(
        self,
        start: int,
        delete: int,
        cells: Sequence[types.NotebookCell] = (),
        opened: Sequence[types.TextDocumentItem] = (),
        closed: Sequence[str] = (),
    ) -> None:
        """Replace ``delete`` cells at ``start`` with ``cells`` (a move sends the moved cells
        again, with no open or close)."""
        array = types.NotebookCellArrayChange(start=start, delete_count=delete, cells=list(cells))
        structure = types.NotebookDocumentCellChangeStructure(
            array=array,
            did_open=list(opened),
            did_close=[types.TextDocumentIdentifier(uri=uri) for uri in closed],
        )
        self.change(types.NotebookDocumentCellChanges(structure=structure))

    def close(self, uris: Sequence[str]) -> None:
        self.client.notebook_document_did_close(
            types.DidCloseNotebookDocumentParams(
                notebook_document=types.NotebookDocumentIdentifier(uri=self.uri),
                cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in uris],
            )
        )


def cell(uri: str, language: str) -> types.NotebookCell:
    kind = types.NotebookCellKind.Markup if language == "markdown" else types.NotebookCellKind.Code
    return types.NotebookCell(kind=kind, document=uri)


SALES = [
    ("python", IMPORTS),
    ("markdown", MARKDOWN),
    ("sql", QUERY),
    ("python", CURSOR_CELL),
    ("python", PLOT),
]


async def inline(
    client: LanguageClient, uri: str, line: int, character: int, invoked: bool = True
) -> list[str]:
    kind = types.InlineCompletionTriggerKind
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList)
    return [str(item.insert_text) for item in result.items]


async def completion(client: LanguageClient, uri: str, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert isinstance(result, types.CompletionList)
    return [item.label for item in result.items]


@pytest.mark.parametrize("ask", ["inline", "completion"])
async def test_a_cell_is_completed_with_the_notebook_as_one_script(
    client: LanguageClient, tmp_path: Path, ask: str
) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        await start(client, fake, tmp_path)
        uris = Notebook(client, tmp_path / "reports" / "analysis.ipynb").open(SALES)
        if ask == "inline":
            assert await inline(client, uris[3], 1, END) == ["sum()"]
        else:
            assert any("sum()" in label for label in await completion(client, uris[3], 1, END))
        body = fake.requests[-1].body
        assert body["prompt"] == "+++++ reports/analysis.py\n" + BEFORE + CURSOR_CELL
        assert body["suffix"] == AFTER
        assert "SELECT" not in body["prompt"] + body["suffix"]
        # Mistral's prompt cache is keyed by notebook: its cells' prompts open alike.
        await inline(client, uris[4], 0, 0)
        assert fake.requests[-1].body["prompt_cache_key"] == body["prompt_cache_key"]


async def test_a_cell_in_another_language_sees_only_its_languages_cells(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text=" ORDER BY month")) as fake:
        await start(client, fake, tmp_path)
        uris = Notebook(client, tmp_path / "analysis.ipynb").open(SALES)
        await inline(client, uris[2], 0, len(QUERY))
        body = fake.requests[-1].body
        expected = "-- %% [markdown]\n-- ## Monthly totals\n-- Sum the sales per month.\n\n-- %%\n"
        assert body["prompt"] == "+++++ analysis.sql\n" + expected + QUERY
        assert body["suffix"] == ""


async def test_an_edit_in_another_cell_asks_again_and_typing_in_the_cell_types_through(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(keystrokes_answered("sum()", ".sum()")) as fake:
        notebook, uris = await open_sales(client, fake, tmp_path)
        assert await inline(client, uris[3], 1, END) == ["sum()"]
        notebook.edit(uris[3], (1, END), (1, END), "su")
        assert await inline(client, uris[3], 1, END + 2, invoked=False) == ["m()"]
        # A cell run elsewhere (VS Code sends its execution summary) changes no prompt.
        ran = types.NotebookCell(
            kind=types.NotebookCellKind.Code,
            document=uris[0],
            execution_summary=types.ExecutionSummary(execution_order=1, success=True),
        )
        notebook.change(types.NotebookDocumentCellChanges(data=[ran]))
        assert await inline(client, uris[3], 1, END + 2, invoked=False) == ["m()"]
        assert len(keystroke_requests(fake, ".sum()")) == 1

        notebook.edit(uris[0], (0, 19), (0, 19), "\nimport numpy as np")
        fake.answer = keystrokes_answered("m().round()", ".sum()")
        assert await inline(client, uris[3], 1, END + 2, invoked=False) == ["m().round()"]
        asked = keystroke_requests(fake, ".sum()")
        assert len(asked) == 2
        assert "import pandas as pd\nimport numpy as np\n\n" in asked[-1].body["prompt"]

        notebook.edit(uris[4], (0, 0), (0, 0), "totals = totals.round()\n")
        assert await inline(client, uris[3], 1, END + 2, invoked=False) == ["m().round()"]
        asked = keystroke_requests(fake, ".sum()")
        assert len(asked) == 3
        assert asked[-1].body["suffix"] == "\n\n# %%\ntotals = totals.round()\n" + PLOT


async def test_cells_added_moved_and_removed_change_the_prompt(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        notebook, uris = await open_sales(client, fake, tmp_path)
        added = notebook.cell_uri()
        opened = notebook.item(added, "sales = sales.dropna()", "python")
        notebook.splice(3, 0, notebook.cells([added]), opened=[opened])
        await inline(client, uris[3], 1, END)
        assert (
            fake.requests[-1]
            .body["prompt"]
            .endswith("# %%\nsales = sales.dropna()\n\n# %%\n" + CURSOR_CELL)
        )

        # The plot cell moved to the top: it is now read before the cursor, not after.
        order = [uris[4], uris[0], uris[1], uris[2], added, uris[3]]
        notebook.splice(0, 6, notebook.cells(order))
        await inline(client, uris[3], 1, END)
        body = fake.requests[-1].body
        assert body["prompt"].startswith("+++++ analysis.py\n# %%\ntotals.plot()\n\n# %%\nimport")
        assert body["suffix"] == ""

        notebook.splice(4, 1, closed=[added])
        await inline(client, uris[3], 1, END)
        assert "dropna" not in fake.requests[-1].body["prompt"]
        assert len(fake.requests) == 3


async def test_a_closed_notebook_is_forgotten(client: LanguageClient, tmp_path: Path) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        notebook, uris = await open_sales(client, fake, tmp_path)
        notebook.edit(uris[3], (1, END), (1, END), "s")
        notebook.close(uris)
        assert await inline(client, uris[3], 1, END + 1) == []
        main = open_doc(client, tmp_path / "main.py", "x = \n")
        await inline(client, main, 0, 4)
        assert len(fake.requests) == 1
        assert fake.requests[0].body["prompt"] == "+++++ main.py\nx = "


async def test_another_notebook_lends_one_snippet_and_its_own_cells_none(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="1")) as fake:
        await start(client, fake, tmp_path)
        open_doc(client, tmp_path / "notes.py", NOTES)
        notebook = Notebook(client, tmp_path / "analysis.ipynb")
        long_cells = [(language, text + "\n" + "# " + "-" * 100) for language, text in SALES]
        uris = notebook.open(long_cells)
        notebook.edit(uris[3], (0, 0), (0, 0), "# edited\n")

        main = open_doc(client, tmp_path / "main.py", "x = \n")
        await inline(client, main, 0, 4)
        prompt = fake.requests[-1].body["prompt"]
        marks = [line for line in prompt.split("\n") if line.startswith("+++++ ")]
        assert marks == ["+++++ analysis.py", "+++++ notes.py", "+++++ main.py"]
        assert "# %%\n# edited\nsales = pd.read_csv" in prompt

        await inline(client, uris[0], 0, 0)
        prompt = fake.requests[-1].body["prompt"]
        marks = [line for line in prompt.split("\n") if line.startswith("+++++ ")]
        assert marks == ["+++++ notes.py", "+++++ analysis.py"]


async def test_an_excluded_notebook_sends_nothing(client: LanguageClient, tmp_path: Path) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        await start(client, fake, tmp_path)
        notebook = Notebook(client, tmp_path / "secrets" / "keys.ipynb")
        secret = "TOKEN = 'sk-live-0000'\n" + "# " + "-" * 200
        uris = notebook.open([("python", secret), *SALES])
        notebook.edit(uris[0], (0, 0), (0, 0), "# edited\n")
        assert await inline(client, uris[4], 1, END) == []
        assert await completion(client, uris[4], 1, END) == []
        assert fake.requests == []

        main = open_doc(client, tmp_path / "main.py", "x = \n")
        await inline(client, main, 0, 4)
        assert fake.requests[0].body["prompt"] == "+++++ main.py\nx = "


async def test_a_client_without_notebooks_sees_no_change(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="1")) as fake:
        result = await start(client, fake, tmp_path, notebooks=False)
        assert result.capabilities.notebook_document_sync is None
        main = open_doc(client, tmp_path / "main.py", "x = \n")
        assert await inline(client, main, 0, 4) == ["1"]
        assert fake.requests[0].body["prompt"] == "+++++ main.py\nx = "


async def test_a_notebook_client_is_offered_every_notebook_and_cell(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim() as fake:
        result = await start(client, fake, tmp_path)
        sync = result.capabilities.notebook_document_sync
        assert isinstance(sync, types.NotebookDocumentSyncOptions)
        assert [(f.notebook, f.cells) for f in sync.notebook_selector] == [("*", None)]
        # A change for a notebook never opened is shrugged off, not an error popup.
        Notebook(client, tmp_path / "ghost.ipynb").change(types.NotebookDocumentCellChanges())
        main = open_doc(client, tmp_path / "main.py", "x = \n")
        assert await inline(client, main, 0, 4) == ["return a + b"]
        assert client.messages == []


async def test_a_notebook_opening_with_markdown_lends_its_code(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="1")) as fake:
        await start(client, fake, tmp_path)
        notebook = Notebook(client, tmp_path / "analysis.ipynb")
        title = "# Sales report\n" + "A long introduction. " * 100
        uris = notebook.open([("markdown", title), *SALES])
        notebook.edit(uris[0], (0, 0), (0, 0), "x")  # the title cell was edited last

        main = open_doc(client, tmp_path / "main.py", "x = \n")
        await inline(client, main, 0, 4)
        prompt = fake.requests[-1].body["prompt"]
        marks = [line for line in prompt.split("\n") if line.startswith("+++++ ")]
        assert marks == ["+++++ analysis.py", "+++++ main.py"]
        assert "# %%\nimport pandas as pd" in prompt
        assert prompt.count("A long introduction.") < 40  # the markdown head only


async def test_cells_their_notebook_let_go_of_unsaid_are_closed(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        notebook, uris = await open_sales(client, fake, tmp_path)
        notebook.splice(4, 1)  # the plot cell removed, its close not sent
        assert await inline(client, uris[4], 0, 0) == []
        notebook.close([])  # a close naming none of its cells
        assert await inline(client, uris[3], 1, END) == []
        main = open_doc(client, tmp_path / "main.py", "x = \n")
        await inline(client, main, 0, 4)
        assert len(fake.requests) == 1
        assert fake.requests[0].body["prompt"] == "+++++ main.py\nx = "

        again = notebook.open(SALES[:1])
        notebook.close([])
        Notebook(client, tmp_path / "analysis.ipynb").open([("python", "y = 2")])
        assert await inline(client, again[0], 0, 0) == []
        assert len(fake.requests) == 1


async def test_cell_data_is_matched_however_its_uri_is_spelled_and_told_once(
    client: LanguageClient, tmp_path: Path
) -> None:
    with FakeFim(Reply(text="sum()")) as fake:
        notebook, uris = await open_sales(client, fake, tmp_path)
        spelled = uris[0].replace("%3D%3D", "==")
        to_markdown = types.NotebookCell(kind=types.NotebookCellKind.Markup, document=spelled)
        notebook.change(types.NotebookDocumentCellChanges(data=[to_markdown]))
        unknown = types.NotebookCell(kind=types.NotebookCellKind.Code, document=uris[0] + "x")
        for _ in range(5):
            notebook.change(types.NotebookDocumentCellChanges(data=[unknown]))

        await inline(client, uris[3], 1, END)
        prompt = fake.requests[-1].body["prompt"]
        assert "# %% [markdown]\n# import pandas as pd" in prompt
        assert not [m for m in client.log_messages if "Ignoring metadata" in m.message]
