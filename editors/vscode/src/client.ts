// The real client: vscode-languageclient over stdio, for files, untitled buffers and notebooks.
import { LanguageClient, type LanguageClientOptions, TransportKind } from 'vscode-languageclient/node';
import type { Client, ClientFactory } from './controller';
import { DOCUMENT_SELECTOR } from './selector';
import { answerConfiguration } from './settings';

export const createLanguageClient: ClientFactory = (spec): Client => {
  const options: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannelName: 'Codestral',
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answered = await next(params, token);
          return Array.isArray(answered)
            ? answerConfiguration(params.items, answered, spec.settings)
            : answered;
        },
      },
    },
  };
  const client = new LanguageClient(
    'codestral',
    'Codestral',
    { command: spec.command, transport: TransportKind.stdio, options: { env: spec.env } },
    options,
  );
  return {
    start: () => client.start(),
    stop: () => client.stop(),
    sendNotification: (method, params) => client.sendNotification(method, params),
    onNotification: (method, handler) => client.onNotification(method, handler),
  };
};
