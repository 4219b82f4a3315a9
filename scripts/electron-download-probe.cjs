// Loaded with `node --require` into Electron's installer by scripts/start.mjs. When the download
// fails, the installer prints only "TypeError: fetch failed" and a stack; the reason (a name that
// does not resolve, a refused connection, a certificate, an HTTP status) is in the error's cause.
// This passes each failed request on as one marked JSON line on stderr, which start.mjs reads
// (scripts/download-failure.mjs) and puts into words.
'use strict';

// The same mark as FAILURE_MARK in scripts/download-failure.mjs.
const MARK = 'socket-inspector-download-failure:';

function report(failure) {
  try {
    process.stderr.write(`${MARK}${JSON.stringify(failure)}\n`);
  } catch {
    // Nothing to tell it to: the download goes on as it would have.
  }
}

/** The innermost error that carries a code: fetch wraps it in `cause`, and trying each address of a name in an AggregateError. */
function reasonOf(err) {
  let reason = err;
  while (reason && !reason.code) {
    if (reason.cause) reason = reason.cause;
    else if (Array.isArray(reason.errors) && reason.errors.length > 0) reason = reason.errors[0];
    else break;
  }
  reason = reason ?? err;
  return { code: reason?.code === undefined ? undefined : String(reason.code), message: reason?.message === undefined ? undefined : String(reason.message) };
}

const realFetch = globalThis.fetch;
if (typeof realFetch === 'function') {
  globalThis.fetch = async function fetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String(input?.url ?? input);
    let response;
    try {
      response = await realFetch(input, init);
    } catch (err) {
      report({ url, ...reasonOf(err) });
      throw err;
    }
    if (!response.ok) report({ url, status: response.status, statusText: response.statusText });
    return response;
  };
}
