#!/bin/sh
":" //; d=${0%/*}; [ "$d" = "$0" ] && d=.; [ -L "$0" ] && d=$(dirname "$(readlink -f "$0")"); [ -f "$d/dist/bin/start.cjs" ] || (cd "$d" && npm run --silent bundle) || exit 1; exec node "$d/dist/bin/start.cjs" "$@"
// Builds a tmux session of Claude Code agents from a YAML layout (see README). The line above lets
// this file run as a shell script that starts its compiled form in dist/, so no start pays a
// TypeScript compile: one CommonJS bundle run with V8's code cache (src/build/code-cache.ts).
import './src/build/fresh.js';
import { runMain } from './src/cli/main.js';
import { startCommand } from './src/cli/commands/start.js';

// No top-level await: the bundle is CommonJS. runMain exits the process when the command is done.
void runMain(() => startCommand(process.argv.slice(2)));
