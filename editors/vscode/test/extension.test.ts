// Activation, status display, settings forwarding and the check command, run against the
// `vscode` stand-in (test/vscode-stand-in.js) and a client that records what it is asked.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import * as vscode from 'vscode';
import pkg from '../package.json';
// The protocol package vscode-languageclient is built on (pure, no `vscode` needed): its type
// guards are the ones the client's converter uses to read a document selector.
import { NotebookCellTextDocumentFilter, TextDocumentFilter } from 'vscode-languageserver-protocol';
import { type Client, type ClientSpec, type Controller, activateWith } from '../src/controller';
import { DOCUMENT_SELECTOR } from '../src/selector';
import { SERVER_KEYS, answerConfiguration, checkEnv, proxyEnv, serverSettings } from '../src/settings';
import type { ServerStatus } from '../src/status';

interface StatusBar {
  text: string;
  tooltip: string;
  visible: boolean;
  command: string;
  backgroundColor?: { id: string };
}
interface StandIn {
  __reset(settings?: Record<string, unknown>): void;
  __set(key: string, value: unknown): Promise<void>;
  __state: {
    commands: Map<string, (...args: unknown[]) => unknown>;
    statusBars: StatusBar[];
    outputs: { text: string; shown: boolean }[];
    messages: [string, string][];
  };
}
const standIn = vscode as unknown as StandIn;

class RecordingClient implements Client {
  started = false;
  stopped = false;
  sent: [string, unknown][] = [];
  handlers = new Map<string, (params: ServerStatus) => void>();
  constructor(readonly spec: ClientSpec) {}
  async start() {
    this.started = true;
  }
  async stop() {
    this.stopped = true;
  }
  async sendNotification(method: string, params: unknown) {
    this.sent.push([method, params]);
  }
  onNotification(method: string, handler: (params: ServerStatus) => void) {
    this.handlers.set(method, handler);
    return new vscode.Disposable(() => this.handlers.delete(method));
  }
  notify(status: ServerStatus) {
    this.handlers.get('codestral/didChangeStatus')?.(status);
  }
}

let clients: RecordingClient[];
const subscriptions: { dispose(): unknown }[] = [];

async function activate(settings: Record<string, unknown> = {}): Promise<Controller> {
  standIn.__reset(settings);
  const context = { subscriptions } as unknown as vscode.ExtensionContext;
  return activateWith(context, (spec) => {
    const client = new RecordingClient(spec);
    clients.push(client);
    return client;
  });
}

function statusBar(): StatusBar {
  return standIn.__state.statusBars[0];
}

beforeEach(() => {
  clients = [];
  for (const item of subscriptions.splice(0)) {
    item.dispose();
  }
});

test('server keys are package.json settings minus the extension own server.* ones', () => {
  const all = Object.keys(pkg.contributes.configuration.properties);
  assert.ok(all.includes('codestral.server.path'));
  assert.ok(SERVER_KEYS.includes('apiKey') && SERVER_KEYS.includes('model'));
  assert.ok(!SERVER_KEYS.some((key) => key.startsWith('server')));
  assert.equal(SERVER_KEYS.length, all.length - 1);
});

test('activation starts the server with the user settings and registers commands', async () => {
  await activate({ 'codestral.model': 'my-model', 'codestral.enable': false });
  assert.equal(clients.length, 1);
  const [client] = clients;
  assert.ok(client.started);
  assert.equal(client.spec.command, 'codestral-lsp');
  assert.deepEqual(client.spec.settings(), { model: 'my-model', enable: false });
  assert.ok(standIn.__state.commands.has('codestral.check'));
  assert.ok(standIn.__state.commands.has('codestral.restart'));
  assert.equal(statusBar().command, 'codestral.check');
  assert.ok(statusBar().visible);
});

test('the configured server path is the command', async () => {
  await activate({ 'codestral.server.path': '/opt/bin/codestral-lsp' });
  assert.equal(clients[0].spec.command, '/opt/bin/codestral-lsp');
});

test('status notifications show in the status bar', async () => {
  await activate();
  const [client] = clients;
  client.notify({ kind: 'Normal', message: 'ready', busy: false });
  assert.equal(statusBar().text, '$(sparkle) Codestral');
  assert.equal(statusBar().backgroundColor, undefined);
  client.notify({ kind: 'Normal', message: 'ready', busy: true });
  assert.equal(statusBar().text, '$(loading~spin) Codestral');
  client.notify({
    kind: 'Error',
    message: 'no API key: set CODESTRAL_API_KEY or codestral.apiKey',
    busy: false,
  });
  assert.equal(statusBar().text, '$(error) Codestral: no API key');
  assert.match(statusBar().tooltip, /CODESTRAL_API_KEY/);
  assert.equal(statusBar().backgroundColor?.id, 'statusBarItem.errorBackground');
  client.notify({ kind: 'Warning', message: 'rate limited', busy: false });
  assert.equal(statusBar().text, '$(warning) Codestral: rate limited');
  assert.equal(statusBar().backgroundColor?.id, 'statusBarItem.warningBackground');
});

test('a changed setting is forwarded: what the user set, nothing else', async () => {
  await activate({ 'codestral.model': 'a' });
  const [client] = clients;
  await standIn.__set('codestral.multiline', 'never');
  await standIn.__set('codestral.model', undefined);
  assert.deepEqual(client.sent, [
    ['workspace/didChangeConfiguration', { settings: { codestral: { model: 'a', multiline: 'never' } } }],
    ['workspace/didChangeConfiguration', { settings: { codestral: { multiline: 'never' } } }],
  ]);
  await standIn.__set('editor.fontSize', 14);
  assert.equal(client.sent.length, 2);
  assert.equal(clients.length, 1);
});

test('a new server path restarts the server', async () => {
  await activate();
  await standIn.__set('codestral.server.path', '/usr/local/bin/codestral-lsp');
  assert.equal(clients.length, 2);
  assert.ok(clients[0].stopped);
  assert.ok(clients[1].started);
  assert.equal(clients[1].spec.command, '/usr/local/bin/codestral-lsp');
  assert.deepEqual(clients[0].sent, []);
});

test('workspace/configuration answers our section from the current settings', () => {
  const answered = answerConfiguration(
    [{ section: 'codestral' }, { section: 'editor' }],
    [{ server: { path: 'x' }, model: null }, { tabSize: 4 }],
    () => ({ model: 'm' }),
  );
  assert.deepEqual(answered, [{ model: 'm' }, { tabSize: 4 }]);
});

test('inspect, not get: defaults never travel, user values do', () => {
  const config = {
    inspect: (key: string) =>
      key === 'model'
        ? { key, defaultValue: 'x', globalValue: 'g', workspaceValue: 'w' }
        : { key, defaultValue: true, globalValue: null },
  } as unknown as vscode.WorkspaceConfiguration;
  assert.deepEqual(serverSettings(config, ['model', 'enable']), { model: 'w' });
});

test('the check command runs `<server> check` with the settings in the environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'codestral-check-'));
  const fake = join(dir, 'fake-server');
  writeFileSync(
    fake,
    '#!/bin/sh\necho "args: $*"\necho "settings: $CODESTRAL_LSP_SETTINGS"\n' +
      'case "$CODESTRAL_LSP_SETTINGS" in *\'"model":"ok"\'*) ;; *) exit 2 ;; esac\n',
  );
  chmodSync(fake, 0o755);
  await activate({ 'codestral.server.path': fake, 'codestral.model': 'ok' });
  await vscode.commands.executeCommand('codestral.check');
  const output = standIn.__state.outputs[0];
  assert.match(output.text, /args: check/);
  assert.match(output.text, /settings: \{"model":"ok"\}/);
  assert.ok(output.shown);
  assert.deepEqual(standIn.__state.messages, [['info', 'Codestral check passed.']]);

  await activate({ 'codestral.server.path': fake, 'codestral.model': 'bad' });
  await vscode.commands.executeCommand('codestral.check');
  assert.equal(standIn.__state.messages[0][0], 'error');
});

test('the check gets the settings the server gets, above the environment', () => {
  const settings = { apiKey: 'k', provider: 'ollama', region: 'us', allowInsecureHttp: true, timeoutMs: 30000 };
  const env = checkEnv(settings, { PATH: '/bin', CODESTRAL_MODEL: 'from-env' });
  assert.deepEqual(JSON.parse(env.CODESTRAL_LSP_SETTINGS ?? ''), settings);
  assert.equal(env.CODESTRAL_MODEL, 'from-env');
  assert.equal(env.PATH, '/bin');
});

function httpSettings(values: Record<string, unknown>): Pick<vscode.WorkspaceConfiguration, 'get'> {
  return { get: <T>(key: string) => values[key] as T } as Pick<vscode.WorkspaceConfiguration, 'get'>;
}

test("VS Code's proxy goes to the server, before the environment's, as VS Code ranks them", () => {
  const http = httpSettings({ proxy: 'http://proxy.corp:3128', noProxy: ['internal.corp', '.lan'] });
  const env = proxyEnv(http, { PATH: '/bin', https_proxy: 'http://stale:1', no_proxy: 'x' });
  for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
    assert.equal(env[name], 'http://proxy.corp:3128', name);
  }
  assert.equal(env.NO_PROXY, 'internal.corp,.lan');
  assert.equal(env.no_proxy, 'internal.corp,.lan');
  assert.equal(env.PATH, '/bin');

  const own = { HTTP_PROXY: 'http://env.corp:8080', no_proxy: 'example.com' };
  assert.deepEqual(proxyEnv(httpSettings({ proxy: '  ' }), own), own);
  const off = httpSettings({ proxy: 'http://proxy.corp:3128', proxySupport: 'off' });
  assert.deepEqual(proxyEnv(off, own), own);
});

test('the server starts with VS Code proxy, and a new proxy restarts it', async () => {
  const saved = { ...process.env };
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy']) {
    delete process.env[name];
    delete process.env[name.toUpperCase()];
  }
  try {
    await activate({ 'http.proxy': 'http://proxy.corp:3128' });
    assert.equal(clients[0].spec.env.HTTPS_PROXY, 'http://proxy.corp:3128');
    await standIn.__set('http.proxy', 'http://other.corp:3128');
    assert.equal(clients.length, 2);
    assert.ok(clients[0].stopped && clients[1].started);
    assert.equal(clients[1].spec.env.HTTPS_PROXY, 'http://other.corp:3128');
  } finally {
    process.env = saved;
  }
});

test('a server that cannot start shows as not running', async () => {
  standIn.__reset();
  const context = { subscriptions } as unknown as vscode.ExtensionContext;
  await activateWith(context, (spec) => {
    const client = new RecordingClient(spec);
    client.start = async () => {
      throw new Error('spawn codestral-lsp ENOENT');
    };
    return client;
  });
  assert.equal(statusBar().text, '$(error) Codestral: not running');
  assert.match(statusBar().tooltip, /ENOENT/);
});

test('documents served: files, untitled buffers, and every notebook cell of any language', () => {
  const [file, untitled, cells] = DOCUMENT_SELECTOR;
  assert.equal(DOCUMENT_SELECTOR.length, 3);
  assert.deepEqual([file, untitled], [{ scheme: 'file' }, { scheme: 'untitled' }]);
  assert.ok(TextDocumentFilter.is(file) && TextDocumentFilter.is(untitled));
  // The client checks for a notebook cell filter first: this one is read as one, for every
  // notebook type and no particular language.
  assert.ok(NotebookCellTextDocumentFilter.is(cells));
  assert.deepEqual(cells, { notebook: '*' });
});
