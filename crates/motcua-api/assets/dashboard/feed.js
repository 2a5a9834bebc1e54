// The live event feed, GET /v1/events, read with fetch() and a streaming body. EventSource
// cannot send an Authorization header, and a token must never go into a URL, so this parses
// text/event-stream itself and reconnects with Last-Event-ID like EventSource would.

import { path } from './api.js';

/**
 * Opens the feed and keeps it open until `stop()` is called.
 * options: token, params ({province, unit, level, type}), onEvent({id, event, data}),
 * onState(state, detail) with state one of 'connecting', 'live', 'retry', 'denied'.
 * Returns { stop }.
 */
export function openFeed({ token, params, onEvent, onState }) {
  const controller = new AbortController();
  let lastId = null;
  let delay = 1000;
  let stopped = false;

  async function connectOnce() {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
    if (lastId !== null) headers['Last-Event-ID'] = lastId;
    onState('connecting');
    const res = await fetch(path('/v1/events', params), {
      headers, signal: controller.signal, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
    });
    if (res.status === 401 || res.status === 403 || res.status === 400) {
      let problem = {};
      try { problem = await res.json(); } catch { /* not a problem document */ }
      onState('denied', problem);
      return false;
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    onState('live');
    delay = 1000;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = { id: null, event: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer += value;
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (event.data.length) {
            if (event.id !== null) lastId = event.id;
            onEvent({ id: event.id, event: event.event, data: event.data.join('\n') });
          }
          event = { id: null, event: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue; // keep-alive comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'data') event.data.push(val);
        else if (field === 'event') event.event = val;
        else if (field === 'id' && !val.includes('\0')) event.id = val;
      }
    }
  }

  (async () => {
    while (!stopped) {
      let again = true;
      try {
        again = await connectOnce();
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
      }
      if (!again || stopped) return;
      onState('retry', { seconds: Math.round(delay / 1000) });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30000);
    }
  })();

  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}

/** What the feed shows of a commit: never the applicant's data. */
export function summarise(envelope) {
  const imported = Array.isArray(envelope?.data?.commits) && envelope.data.commits.length > 0;
  const events = imported
    ? envelope.data.commits.flatMap((c) => c.events || [])
    : (envelope?.data?.events || []);
  const types = events.map((e) => e.type);
  let target = null;
  for (const e of events) {
    if (e.type === 'forwarded') target = e.to;
    else if (e.type === 'received') target = e.handling_agency;
    else if (e.type === 'submitted') target = e.receiving_agency;
    else if (e.type === 'result_ready') target = e.desk;
  }
  return {
    time: envelope.time,
    code: envelope.dossiercode || null,
    key: envelope.subject,
    imported,
    steps: imported ? envelope.data.commits.length : 0,
    types,
    office: envelope.unit || null,
    role: envelope.role,
    target,
  };
}
