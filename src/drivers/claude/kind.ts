// The claude kind: Claude Code's flags, hooks, status lines, screen and prompt box, gathered from
// where they live (src/agents/ for the launch, this folder for events and dialogs).
import { claudeArgs } from '../../agents/launch.js';
import { hookSettings } from '../../agents/hooks.js';
import { interactiveText } from '../../tasks/tasks.js';
import { promptBoxText } from '../../tasks/deliver.js';
import { claudeEvent, nativeName } from './events.js';
import { detectDialog } from './dialogs.js';

/** Claude Code as a kind (src/drivers/kind.ts; checked where src/drivers/driver.ts registers it, so this folder needs nothing of its parent). */
export const claude = {
  name: 'claude',
  args: claudeArgs,
  statusSettings: hookSettings,
  toEvent: claudeEvent,
  nativeName,
  dialog: detectDialog,
  promptBoxText,
  boxText: interactiveText,
  exitCommand: '/exit',
} as const;
