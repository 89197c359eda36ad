#!/bin/sh
":" //; d=${0%/*}; [ "$d" = "$0" ] && d=.; [ -L "$0" ] && d=$(dirname "$(readlink -f "$0")"); [ -f "$d/dist/bin/start.mjs" ] || (cd "$d" && npm run --silent bundle) || exit 1; exec node "$d/dist/bin/start.mjs" "$@"
// Builds a tmux session of Claude Code agents from a YAML layout (see README). The line above lets
// this file run as a shell script that starts its compiled form in dist/, so no start pays a
// TypeScript compile.
import './src/build/fresh.js';
import { runMain } from './src/cli/main.js';
import { startCommand } from './src/cli/commands/start.js';

await runMain(() => startCommand(process.argv.slice(2)));
