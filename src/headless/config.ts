// What a headless agent's runner needs to know, written next to its launch script when the session
// starts (the store may not exist yet when the pane starts): the agent's layout entry, its Claude
// session id, the claude executable and its hooks' settings file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentSpec } from '../layout/types.js';
import { OrchestratorError } from '../cli/errors.js';

/** The runner's configuration (agents/<name>/headless.json). */
export interface HeadlessConfig {
  agent: AgentSpec;
  sessionId: string;
  claudeBin: string;
  settingsFile: string;
}

/** The directory holding one agent's files (same as agents/launch.ts agentDir). */
const dirOf = (stateDir: string, agent: string): string => join(stateDir, 'agents', agent);

/** Where the runner's configuration is. */
export const headlessConfigFile = (agentDir: string): string => join(agentDir, 'headless.json');
/** Where tasks for a headless agent arrive: <seq>-<task>.json files, and <task>.cancel. */
export const promptsDirOf = (agentDir: string): string => join(agentDir, 'prompts');

/** Writes the runner's configuration into the agent's directory. */
export function writeHeadlessConfig(agentDir: string, config: HeadlessConfig): void {
  writeFileSync(headlessConfigFile(agentDir), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads an agent's runner configuration, or a clear error. */
export function readHeadlessConfig(stateDir: string, agent: string): HeadlessConfig {
  const file = headlessConfigFile(dirOf(stateDir, agent));
  if (!existsSync(file)) {
    throw new OrchestratorError(`no headless agent "${agent}" in ${stateDir} (${file} is missing): headless runners are started by ./start.mts for agents with mode: headless`);
  }
  let config: Partial<HeadlessConfig>;
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Partial<HeadlessConfig>;
  } catch (error) {
    throw new OrchestratorError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (!config.agent || typeof config.sessionId !== 'string' || typeof config.claudeBin !== 'string' || typeof config.settingsFile !== 'string') {
    throw new OrchestratorError(`${file} lacks agent, sessionId, claudeBin or settingsFile: start the session again with ./start.mts --restart`);
  }
  return config as HeadlessConfig;
}

/** The transcript Claude keeps for a session started in cwd (it exists once the session can be resumed). */
export function transcriptFile(projectKey: string, sessionId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude'), 'projects', projectKey, `${sessionId}.jsonl`);
}
