// The API client: JSON requests with the bearer token in the Authorization header, problem
// documents turned into errors, and a small pool that bounds how many report requests run at
// once. The token is kept in sessionStorage (gone when the tab closes) and never put in a URL.

const TOKEN_KEY = 'motcua.token';

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
    this.detail = detail || '';
  }
}

export function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage may be disabled: the token then lives in memory only */ }
}

/** Builds a path with a query string from an object (empty values left out). */
export function path(base, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `${base}?${text}` : base;
}

export class Api {
  constructor(token, { onUnauthorized } = {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized || (() => {});
    this.active = 0;
    this.waiting = [];
    this.limit = 4; // With the live feed, at most 5 connections: under the browser's 6 per host.
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...extra };
  }

  /** GET a JSON document; throws ApiError with the problem's code. */
  async get(url, { signal } = {}) {
    await this.slot(signal);
    try {
      let res;
      try {
        res = await fetch(url, { headers: this.headers(), signal, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiError(0, 'unreachable', String(e.message || e));
      }
      if (!res.ok) {
        let problem = {};
        try { problem = await res.json(); } catch { /* not a problem document */ }
        const err = new ApiError(res.status, problem.code, problem.detail);
        if (res.status === 401) this.onUnauthorized(err);
        throw err;
      }
      return await res.json();
    } finally {
      this.release();
    }
  }

  /** Waits for a free place in the pool. */
  async slot(signal) {
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    await new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      this.waiting.push(entry);
      signal?.addEventListener('abort', () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(new DOMException('aborted', 'AbortError'));
        }
      }, { once: true });
    });
  }

  release() {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.active -= 1;
  }

  me() { return this.get('/v1/me'); }
  unit(code, list, opts) { return this.get(path(`/v1/units/${encodeURIComponent(code)}`, { list }), opts); }
  bieu06(unit, from, to, opts) { return this.get(path(`/v1/units/${encodeURIComponent(unit)}/reports/bieu06`, { from, to }), opts); }
  queue(unit, limit, opts) { return this.get(path(`/v1/units/${encodeURIComponent(unit)}/queue`, { limit }), opts); }
  overdue(unit, limit, opts) { return this.get(path(`/v1/units/${encodeURIComponent(unit)}/overdue`, { limit }), opts); }
}
