// The server's settings as the extension sees them: which keys exist (from package.json, which
// scripts/gen_settings.py generates from the server's own table) and what the user set.
import type * as vscode from 'vscode';
import pkg from '../package.json';

export const SECTION = 'codestral';
/** The extension's own keys (`codestral.server.*`): how to start the server, never forwarded. */
const EXTENSION_PREFIX = 'server.';

export type Settings = Record<string, unknown>;

/** Server keys, without the `codestral.` prefix. */
export const SERVER_KEYS: readonly string[] = Object.keys(pkg.contributes.configuration.properties)
  .map((key) => key.slice(SECTION.length + 1))
  .filter((key) => !key.startsWith(EXTENSION_PREFIX));

/**
 * The server keys the user set (folder, then workspace, then user settings) and nothing else:
 * defaults live in the server, and a key left out falls back to the server's environment
 * (CODESTRAL_API_KEY) or default. The server replaces its editor layer with each answer, so a
 * setting the user removes is gone there too.
 */
export function serverSettings(
  config: Pick<vscode.WorkspaceConfiguration, 'inspect'>,
  keys: readonly string[] = SERVER_KEYS,
): Settings {
  const settings: Settings = {};
  for (const key of keys) {
    const seen = config.inspect(key);
    const value = seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue;
    if (value !== undefined && value !== null) {
      settings[key] = value;
    }
  }
  return settings;
}

/** Answers a `workspace/configuration` request: our section from `settings`, others as given. */
export function answerConfiguration(
  items: readonly { section?: string }[],
  answered: unknown[],
  settings: () => Settings,
): unknown[] {
  return items.map((item, i) => (item.section === SECTION ? settings() : answered[i]));
}

/**
 * The environment for `codestral-lsp check`: the user's, with the settings the server gets as
 * JSON in `CODESTRAL_LSP_SETTINGS`, which `check` reads above the environment as the server
 * reads its editor's settings: the key, provider, endpoint... that the server uses, not only
 * those an environment variable could say (a `codestral.apiKey` for Ollama, say).
 */
export function checkEnv(settings: Settings, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, CODESTRAL_LSP_SETTINGS: JSON.stringify(settings) };
}

/**
 * The environment the server runs in: the user's, with VS Code's own proxy (`http.proxy`,
 * `http.noProxy`) on top, as VS Code itself ranks them (its setting first, then the
 * environment), unless `http.proxySupport` is `off`. A server started by VS Code does not get
 * the proxy VS Code uses, and reads only the environment's (lower case first, as urllib does).
 */
export function proxyEnv(
  http: Pick<vscode.WorkspaceConfiguration, 'get'>,
  base: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env = { ...base };
  if (http.get<string>('proxySupport') === 'off') {
    return env;
  }
  const proxy = http.get<string>('proxy')?.trim();
  if (proxy) {
    for (const name of ['https_proxy', 'http_proxy']) {
      env[name] = proxy;
      env[name.toUpperCase()] = proxy;
    }
  }
  const bypass = http.get<string[]>('noProxy') ?? [];
  if (bypass.length > 0) {
    env.no_proxy = bypass.join(',');
    env.NO_PROXY = env.no_proxy;
  }
  return env;
}
