// What a headless agent's runner needs to know, written next to its launch script when the session
// starts (the store may not exist yet when the pane starts): the agent's layout entry, its Claude
// session id, the claude executable and its hooks' settings file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AgentSpec } from '../layout/types.js';
import { OrchestratorError } from '../core/errors.js';
import { agentFiles } from '../store/paths.js';

/** The runner's configuration (agents/<name>/headless.json). */
export interface HeadlessConfig {
  agent: AgentSpec;
  sessionId: string;
  claudeBin: string;
  settingsFile: string;
}

/** Writes the runner's configuration into the agent's directory. */
export function writeHeadlessConfig(stateDir: string, config: HeadlessConfig): void {
  // Without the agent's env: values (secrets stay in its env file; the runner inherits them from its launch script).
  const agent = { ...config.agent, env: {} };
  writeFileSync(
    agentFiles(stateDir, config.agent.name).headlessConfig,
    `${JSON.stringify({ ...config, agent }, null, 2)}\n`,
  );
}

/** Reads an agent's runner configuration, or a clear error. */
export function readHeadlessConfig(stateDir: string, agent: string): HeadlessConfig {
  const file = agentFiles(stateDir, agent).headlessConfig;
  if (!existsSync(file)) {
    throw new OrchestratorError(
      `no headless agent "${agent}" in ${stateDir} (${file} is missing): headless runners are started by ./start.mts for agents with mode: headless`,
    );
  }
  let config: Partial<HeadlessConfig>;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Partial<HeadlessConfig>;
  } catch (error) {
    throw new OrchestratorError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (
    !config.agent ||
    typeof config.sessionId !== 'string' ||
    typeof config.claudeBin !== 'string' ||
    typeof config.settingsFile !== 'string'
  ) {
    throw new OrchestratorError(
      `${file} lacks agent, sessionId, claudeBin or settingsFile: start the session again with ./start.mts --restart`,
    );
  }
  return config as HeadlessConfig;
}
