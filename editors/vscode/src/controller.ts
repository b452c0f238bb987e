// Everything the extension does, written against a client interface so that tests can run it
// with a stand-in `vscode` module and a recording client instead of a real server.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { SECTION, type Settings, checkEnv, proxyEnv, serverSettings } from './settings';
import { STARTING, STATUS_METHOD, type ServerStatus, present } from './status';

/** The part of vscode-languageclient's LanguageClient the extension uses. */
export interface Client {
  start(): Promise<void>;
  stop(): Promise<void>;
  sendNotification(method: string, params: unknown): Promise<void>;
  onNotification(method: string, handler: (params: ServerStatus) => void): vscode.Disposable;
}

export interface ClientSpec {
  /** Command that starts the server (`codestral.server.path`). */
  command: string;
  /**
   * Current settings, to answer the server's `workspace/configuration` requests (it asks once
   * initialized). They are not sent as `initializationOptions`: that layer would outlive a
   * setting the user later removes.
   */
  settings: () => Settings;
  /** The server's environment (the user's, with VS Code's proxy: see `proxyEnv`). */
  env: NodeJS.ProcessEnv;
}

export type ClientFactory = (spec: ClientSpec) => Client;

const DEFAULT_COMMAND = 'codestral-lsp';
/** VS Code's settings that `proxyEnv` hands to the server. */
const PROXY_SETTINGS = ['http.proxy', 'http.noProxy', 'http.proxySupport'];

function configuration(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function serverCommand(): string {
  return configuration().get<string>('server.path') || DEFAULT_COMMAND;
}

function serverEnv(): NodeJS.ProcessEnv {
  return proxyEnv(vscode.workspace.getConfiguration('http'), process.env);
}

export class Controller implements vscode.Disposable {
  private client: Client | undefined;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly output: vscode.OutputChannel;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly factory: ClientFactory) {
    this.statusBar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    this.statusBar.command = 'codestral.check';
    this.output = vscode.window.createOutputChannel('Codestral Check');
    this.disposables.push(
      this.statusBar,
      this.output,
      vscode.commands.registerCommand('codestral.check', () => this.check()),
      vscode.commands.registerCommand('codestral.restart', () => this.restart()),
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
    );
  }

  /** Start the server with the current settings. */
  async start(): Promise<void> {
    this.show(STARTING);
    const client = this.factory({
      command: serverCommand(),
      settings: () => serverSettings(configuration()),
      env: serverEnv(),
    });
    this.client = client;
    this.disposables.push(
      client.onNotification(STATUS_METHOD, (status) => this.show(present(status))),
    );
    try {
      await client.start();
    } catch (err) {
      this.show({
        text: '$(error) Codestral: not running',
        tooltip: `Codestral: could not start ${serverCommand()}: ${String(err)}`,
        background: 'error',
      });
    }
  }

  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    await old?.stop();
    await this.start();
  }

  /** Forward changed settings; a new server path or proxy needs a new server. */
  async configurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    const proxy = PROXY_SETTINGS.some((key) => event.affectsConfiguration(key));
    if (!event.affectsConfiguration(SECTION) && !proxy) {
      return;
    }
    if (proxy || event.affectsConfiguration(`${SECTION}.server`)) {
      await this.restart();
      return;
    }
    await this.client?.sendNotification('workspace/didChangeConfiguration', {
      settings: { [SECTION]: serverSettings(configuration()) },
    });
  }

  /** Run `codestral-lsp check` and show its report. */
  check(): Promise<void> {
    const command = serverCommand();
    const env = checkEnv(serverSettings(configuration()), serverEnv());
    return new Promise((resolve) => {
      execFile(command, ['check'], { env, timeout: 30_000 }, (err, stdout, stderr) => {
        this.output.appendLine(`$ ${command} check`);
        this.output.append(stdout + stderr);
        this.output.show(true);
        if (err) {
          void vscode.window.showErrorMessage(`Codestral check failed: ${firstLine(stderr || err.message)}`);
        } else {
          void vscode.window.showInformationMessage('Codestral check passed.');
        }
        resolve();
      });
    });
  }

  private show(presentation: { text: string; tooltip: string; background?: 'error' | 'warning' }): void {
    this.statusBar.text = presentation.text;
    this.statusBar.tooltip = presentation.tooltip;
    this.statusBar.backgroundColor = presentation.background
      ? new vscode.ThemeColor(`statusBarItem.${presentation.background}Background`)
      : undefined;
    this.statusBar.show();
  }

  async dispose(): Promise<void> {
    for (const disposable of this.disposables.splice(0)) {
      disposable.dispose();
    }
    await this.client?.stop();
    this.client = undefined;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0];
}

/** Activation, with the way to make a client passed in. */
export async function activateWith(
  context: vscode.ExtensionContext,
  factory: ClientFactory,
): Promise<Controller> {
  const controller = new Controller(factory);
  context.subscriptions.push({ dispose: () => void controller.dispose() });
  await controller.start();
  return controller;
}
