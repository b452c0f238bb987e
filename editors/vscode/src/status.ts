// The server's `codestral/didChangeStatus` notification, turned into status bar contents.

export const STATUS_METHOD = 'codestral/didChangeStatus';

export interface ServerStatus {
  kind: 'Normal' | 'Error' | 'Warning' | 'Inactive';
  message: string;
  busy: boolean;
}

export interface Presentation {
  text: string;
  tooltip: string;
  /** Which status bar background to use, if any. */
  background?: 'error' | 'warning';
}

const ICONS: Record<ServerStatus['kind'], string> = {
  Normal: '$(sparkle)',
  Error: '$(error)',
  Warning: '$(warning)',
  Inactive: '$(circle-slash)',
};

/** Status bar contents: "Codestral" when ready, else a short label (the message's head). */
export function present(status: ServerStatus): Presentation {
  const icon = status.busy ? '$(loading~spin)' : (ICONS[status.kind] ?? ICONS.Warning);
  const label = status.message.split(/[:(]/, 1)[0].trim();
  const text = status.kind === 'Normal' ? `${icon} Codestral` : `${icon} Codestral: ${label}`;
  const tooltip = `Codestral: ${status.message} (click to check the configuration)`;
  if (status.kind === 'Error') {
    return { text, tooltip, background: 'error' };
  }
  if (status.kind === 'Warning') {
    return { text, tooltip, background: 'warning' };
  }
  return { text, tooltip };
}

export const STARTING: Presentation = {
  text: '$(loading~spin) Codestral',
  tooltip: 'Codestral: starting codestral-lsp',
};
