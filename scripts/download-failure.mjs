// Why Electron's download failed, in words: read from what the installer printed with
// scripts/electron-download-probe.cjs loaded into it.

/** Starts each line the probe writes; the same text as MARK in electron-download-probe.cjs. */
export const FAILURE_MARK = 'socket-inspector-download-failure:';

const NPM_PROXY_VARIABLES = ['npm_config_https_proxy', 'npm_config_proxy'];

/**
 * The last request the probe saw fail, from the installer's stderr, or null when it saw none.
 * @param {string} stderr
 * @returns {{ url: string, code?: string, message?: string, status?: number, statusText?: string } | null}
 */
export function lastFailure(stderr) {
  let failure = null;
  for (const line of stderr.split('\n')) {
    const at = line.indexOf(FAILURE_MARK);
    if (at === -1) continue;
    try {
      const parsed = JSON.parse(line.slice(at + FAILURE_MARK.length));
      if (parsed && typeof parsed.url === 'string') failure = parsed;
    } catch {
      // A line cut short: the one before it still counts.
    }
  }
  return failure;
}

/** The host name, and the host with its port, of a URL. */
function placeOf(url) {
  try {
    const parsed = new URL(url);
    return { name: parsed.hostname.replace(/^\[|\]$/g, ''), host: parsed.host };
  } catch {
    return { name: url, host: url };
  }
}

/**
 * The proxy variable a request to `url` goes through, chosen as undici's EnvHttpProxyAgent
 * chooses it, or null when there is none or NO_PROXY names the host.
 */
function proxyVariableFor(url, env) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const names = parsed.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] : ['HTTP_PROXY', 'http_proxy'];
  const variable = names.find((name) => env[name]);
  if (!variable) return null;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).filter(Boolean);
  const host = parsed.hostname;
  const bypassed = noProxy.some((entry) => {
    const name = entry.replace(/^\*?\.?/, '').replace(/:\d+$/, '');
    return entry === '*' || host === name || host.endsWith(`.${name}`);
  });
  return bypassed ? null : variable;
}

/** Why one request failed. `proxy` names the proxy it went through: connections go to it. */
function reasonOf(failure, proxy) {
  const target = placeOf(failure.url);
  if (failure.status !== undefined) {
    if (failure.status === 407) return 'the proxy asks for a user name and password: HTTP 407';
    return `${target.name} answered HTTP ${failure.status}${failure.statusText ? ` ${failure.statusText}` : ''}`;
  }
  const { name, host } = proxy ? placeOf(proxy.url) : target;
  const what = proxy ? `the proxy ${host} in ${proxy.variable}` : name;
  const code = failure.code ?? '';
  switch (code) {
    case 'ENOTFOUND':
      return `${proxy ? `the proxy ${name} in ${proxy.variable}` : name} could not be found: no network, or no DNS server answers for it`;
    case 'EAI_AGAIN':
      return `looking up ${proxy ? `the proxy ${name} in ${proxy.variable}` : name} got no answer: no network, or the DNS server is unreachable`;
    case 'ECONNREFUSED':
      return `${proxy ? what : host} refused the connection`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `${what} did not answer: a firewall, or no way out of this network`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENETDOWN':
      return `no network route to ${what}`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the connection to ${target.name} was cut: a firewall or proxy in between`;
    default:
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
        return `${target.name}'s certificate is not trusted here: a proxy that inspects HTTPS`;
      }
      return `${target.name}: ${failure.message || code || 'the request failed'}`;
  }
}

/** The proxy the download went through, or, when one is set but not used, a note saying so. */
function proxyOf(url, env) {
  const variable = proxyVariableFor(url, env);
  if (variable && env.ELECTRON_GET_USE_PROXY) return { proxy: { variable, url: env[variable] }, note: '' };
  if (variable) return { proxy: null, note: `; ${variable} is set, but the download uses it only with ELECTRON_GET_USE_PROXY=1` };
  if (NPM_PROXY_VARIABLES.some((name) => env[name])) {
    return { proxy: null, note: "; npm's proxy setting does not apply to it: set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=1" };
  }
  return { proxy: null, note: '' };
}

/**
 * Says in words why Electron's download failed, from the installer's outcome.
 * @param {{ stderr: string, timedOut?: boolean, timeoutMs?: number }} outcome
 * @param {Record<string, string | undefined>} [env]
 * @returns {string}
 */
export function describeDownloadFailure(outcome, env = process.env) {
  const failure = lastFailure(outcome.stderr);
  if (failure) {
    const { proxy, note } = proxyOf(failure.url, env);
    return `${reasonOf(failure, proxy)}${note}`;
  }
  if (outcome.timedOut) {
    const seconds = Math.round((outcome.timeoutMs ?? 0) / 1000);
    return `it did not finish within ${seconds} s: a slow or stalled connection${proxyOf('https://github.com/', env).note}`;
  }
  // Not a request that failed (a checksum that does not match, a full disk): the installer's
  // first line that names an error says it best.
  const line = outcome.stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /error|fail/i.test(l) && !l.startsWith('at '));
  if (!line) return "the installer stopped without saying why";
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
