// A small stand-in for the `vscode` module: just the API the extension touches, recording what
// it is asked to do. Tests drive it through the `__` helpers.
'use strict';

class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  dispose() {
    this.fn?.();
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}

const state = {
  settings: {}, // full key ("codestral.model") -> user value
  commands: new Map(),
  listeners: [],
  statusBars: [],
  outputs: [],
  messages: [],
};

function section(prefix) {
  return {
    get(key, fallback) {
      const value = state.settings[`${prefix}.${key}`];
      return value === undefined ? fallback : value;
    },
    inspect(key) {
      return { key: `${prefix}.${key}`, globalValue: state.settings[`${prefix}.${key}`] };
    },
  };
}

module.exports = {
  Disposable,
  ThemeColor,
  StatusBarAlignment: { Left: 1, Right: 2 },
  window: {
    createStatusBarItem(alignment, priority) {
      const item = { alignment, priority, text: '', tooltip: '', visible: false, disposed: false };
      item.show = () => (item.visible = true);
      item.hide = () => (item.visible = false);
      item.dispose = () => (item.disposed = true);
      state.statusBars.push(item);
      return item;
    },
    createOutputChannel(name) {
      const channel = { name, text: '', shown: false };
      channel.append = (text) => (channel.text += text);
      channel.appendLine = (text) => (channel.text += `${text}\n`);
      channel.show = () => (channel.shown = true);
      channel.dispose = () => {};
      state.outputs.push(channel);
      return channel;
    },
    showInformationMessage: async (text) => state.messages.push(['info', text]),
    showErrorMessage: async (text) => state.messages.push(['error', text]),
  },
  commands: {
    registerCommand(name, fn) {
      state.commands.set(name, fn);
      return new Disposable(() => state.commands.delete(name));
    },
    executeCommand: async (name, ...args) => state.commands.get(name)(...args),
  },
  workspace: {
    getConfiguration: (prefix) => section(prefix),
    onDidChangeConfiguration(listener) {
      state.listeners.push(listener);
      return new Disposable(() => state.listeners.splice(state.listeners.indexOf(listener), 1));
    },
  },
  /** Reset everything between tests. */
  __reset(settings = {}) {
    state.settings = { ...settings };
    state.commands.clear();
    state.listeners.length = 0;
    state.statusBars.length = 0;
    state.outputs.length = 0;
    state.messages.length = 0;
  },
  /** Change one user setting and fire onDidChangeConfiguration as VS Code does. */
  async __set(key, value) {
    if (value === undefined) {
      delete state.settings[key];
    } else {
      state.settings[key] = value;
    }
    const event = { affectsConfiguration: (s) => key === s || key.startsWith(`${s}.`) };
    await Promise.all(state.listeners.map((listener) => listener(event)));
  },
  __state: state,
};
