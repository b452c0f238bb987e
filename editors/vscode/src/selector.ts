// Which documents the server is asked about: files, untitled buffers, and the cells of every
// notebook (Jupyter, the interactive window, any other notebook type; cells of any language).
// vscode-languageclient turns `{ notebook: '*' }` into VS Code's `{ notebookType: '*' }`, which
// matches notebook cells only. The server declares notebook sync, so the client sends it the
// cells through notebookDocument/* (with the notebook around them), not as lone documents; a
// server without it would get each cell as a document of its own.
import type { DocumentSelector } from 'vscode-languageclient/node';

export const DOCUMENT_SELECTOR: DocumentSelector = [
  { scheme: 'file' },
  { scheme: 'untitled' },
  { notebook: '*' },
];
