// Entry point: VS Code calls activate() once the window has started.
import type * as vscode from 'vscode';
import { createLanguageClient } from './client';
import { type Controller, activateWith } from './controller';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  controller = await activateWith(context, createLanguageClient);
}

export async function deactivate(): Promise<void> {
  await controller?.dispose();
  controller = undefined;
}
