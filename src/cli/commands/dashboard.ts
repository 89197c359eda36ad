// `orchestrate dashboard`: the session's live web dashboard (started by ./start.mts in the control
// window unless the layout says `dashboard: false`), and `--url` to find a running one.
import { hostname } from 'node:os';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { startDashboard } from '../../dashboard/server.js';
import { readDashboardInfo, removeDashboardInfo, writeDashboardInfo } from '../../dashboard/info.js';
import { isLoopbackAddress } from '../../dashboard/security.js';

const usage = `Usage: orchestrate dashboard [--port 8888] [--host 127.0.0.1] [--state DIR] [--token T | --new-token]
       orchestrate dashboard --url [--state DIR]

  --port N       first port to try (default 8888; when in use, the next free one is taken and said)
  --host ADDR    address to listen on (default 127.0.0.1). Any other address needs a token: one is
                 generated and printed inside the URL when not given
  --token T      require T on every request (also $ORCH_DASHBOARD_TOKEN); enables dispatch and cancel
  --new-token    require a freshly generated token (enables dispatch and cancel on 127.0.0.1)
  --url          print the address of this session's running dashboard and exit`;

/** Time prefix of log lines. */
const time = (): string => new Date().toISOString().slice(11, 19);

export async function dashboardCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string' },
      token: { type: 'string' },
      'new-token': { type: 'boolean' },
      url: { type: 'boolean' },
    },
    usage,
  );
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);

  if (values.url) {
    const info = readDashboardInfo(stateDir);
    if (!info)
      throw new OrchestratorError(
        `no dashboard is running for ${stateDir} (start one: orchestrate dashboard --state ${stateDir})`,
      );
    process.stdout.write(`${info.open_url}\n`);
    return 0;
  }

  const port = values.port === undefined ? 8888 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not ${JSON.stringify(values.port)}\n\n${usage}`);
  const host = values.host ?? '127.0.0.1';
  if (!host.trim()) throw new UsageError(`--host must name an address\n\n${usage}`);
  const given = values.token ?? process.env.ORCH_DASHBOARD_TOKEN;
  if (given !== undefined && values['new-token'])
    throw new UsageError(`give --token or --new-token, not both\n\n${usage}`);
  if (given !== undefined && given.length < 8) throw new UsageError('the token must be at least 8 characters');

  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const dashboard = await startDashboard({
    stateDir,
    host,
    port,
    ...(given !== undefined
      ? { token: given }
      : values['new-token']
        ? { token: (await import('../../dashboard/security.js')).newToken() }
        : {}),
    log: (line) => out(`${time()} ${line}`),
  });
  if (dashboard.portInUse !== undefined)
    out(`Port ${dashboard.portInUse} is in use; took port ${dashboard.port} instead.`);
  out(`Dashboard: ${dashboard.openUrl}`);
  if (!isLoopbackAddress(host)) {
    out(
      `Listening on ${host}:${dashboard.port}; every request needs the token${dashboard.tokenGenerated ? ' (generated for this run: it is in the URL above)' : ''}.`,
    );
  } else {
    out(
      `Listening on ${host} only. From another machine: ssh -L ${dashboard.port}:127.0.0.1:${dashboard.port} ${hostname()}, then open the URL above there.`,
    );
  }
  out(
    dashboard.token
      ? 'Actions (dispatch, cancel) are on.'
      : 'Read-only (start with --new-token or --token T to dispatch and cancel from the page).',
  );
  writeDashboardInfo(stateDir, {
    pid: process.pid,
    host,
    port: dashboard.port,
    url: dashboard.url,
    open_url: dashboard.openUrl,
    token_required: !!dashboard.token,
    started_at: new Date().toISOString(),
  });
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  removeDashboardInfo(stateDir);
  await dashboard.close();
  return 0;
}
