import type {
  ActorEventView,
  ActorView,
  BreakerView,
  DashboardMessage,
  TransitionView,
} from '../protocol.js';

/**
 * The page's script. It runs in the browser: the server sends `(${dashboardClient})()`, so this
 * function must use nothing from outside its own body (types excepted). It renders the
 * messages of `/api/events` (or of a loaded trace), batching DOM work per animation frame.
 */
export function dashboardClient(): void {
  type Message = DashboardMessage & { t?: number };
  type ActorModel = ActorView & { log: ActorEventView[] };
  const TRACE_FORMAT = 'xstate-circuit-breaker/dashboard-trace';
  const TIMELINE = 20;
  const ACTOR_LOG = 50;
  const MAX_RECORDED = 200_000;

  const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
  const breakersEl = byId<HTMLElement>('breakers');
  const actorsEl = byId<HTMLElement>('actors');
  const filterEl = byId<HTMLInputElement>('filter');
  const tokenEl = byId<HTMLInputElement>('token');
  const statusEl = byId<HTMLElement>('status');
  const replayEl = byId<HTMLElement>('replay');
  const sliderEl = byId<HTMLInputElement>('replay-position');
  const replayLabelEl = byId<HTMLElement>('replay-label');
  const fileEl = byId<HTMLInputElement>('trace-file');

  const charts = new Map<string, string>();
  let breakers = new Map<string, BreakerView>();
  let actors = new Map<string, ActorModel>();
  const breakerCards = new Map<string, HTMLElement>();
  const actorCards = new Map<string, HTMLElement>();
  const dirty = new Set<string>();
  let frame = 0;
  let admin = false;
  let replaying = false;
  let source: EventSource | null = null;
  let recorded: string[] = [];
  let replayMessages: Message[] = [];

  const element = (
    tag: string,
    attributes: Record<string, string> = {},
    text = '',
  ): HTMLElement => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  };
  const select = (name: string, value: string) => `[${name}="${CSS.escape(value)}"]`;

  function mark(key: string): void {
    dirty.add(key);
    if (frame === 0) frame = requestAnimationFrame(flush);
  }

  function apply(message: Message) {
    switch (message.type) {
      case 'session':
        admin = message.admin;
        return;
      case 'chart':
        charts.set(message.key, message.svg);
        return;
      case 'breaker': {
        const { type: _type, t: _t, ...view } = message;
        breakers.set(view.name, view);
        return mark(`b${view.name}`);
      }
      case 'transition': {
        const view = breakers.get(message.name);
        if (view === undefined) return;
        const transition = {
          from: message.from,
          to: message.to,
          at: message.at,
          reason: message.reason,
        };
        view.state = message.to;
        view.lastTransition = transition;
        view.transitions = [...view.transitions, transition].slice(-TIMELINE);
        return mark(`b${message.name}`);
      }
      case 'removed':
        breakers.delete(message.name);
        return mark(`b${message.name}`);
      case 'actor': {
        const { type: _type, t: _t, ...view } = message;
        const log = [...(actors.get(view.id)?.log ?? []), ...view.events].slice(-ACTOR_LOG);
        actors.set(view.id, { ...view, log });
        return mark(`a${view.id}`);
      }
    }
  }

  function flush(): void {
    frame = 0;
    for (const key of dirty) {
      if (key[0] === 'b') renderBreaker(key.slice(1));
      else renderActor(key.slice(1));
    }
    dirty.clear();
  }

  function showChart(card: HTMLElement, key: string | null): HTMLElement {
    const holder = card.querySelector('.chart') as HTMLElement;
    const svg = key === null ? undefined : charts.get(key);
    if (key !== null && svg !== undefined && holder.dataset.chart !== key) {
      holder.innerHTML = svg;
      holder.dataset.chart = key;
    }
    return holder;
  }

  function highlight(holder: HTMLElement, active: string[], last: TransitionView | null): void {
    for (const node of Array.from(holder.querySelectorAll('[data-state-node]'))) {
      const name = node.getAttribute('data-state-node') ?? '';
      node.setAttribute('data-active', active.includes(name) ? 'true' : 'false');
    }
    for (const edge of Array.from(holder.querySelectorAll('[data-last-edge]'))) {
      edge.removeAttribute('data-last-edge');
    }
    if (last === null) return;
    let edges = holder.querySelectorAll(
      `${select('data-edge-from', last.from)}${select('data-edge-to', last.to)}`,
    );
    // Not drawn between these two: an edge drawn once for a compound state around either end.
    if (edges.length === 0) {
      edges = holder.querySelectorAll(
        `[data-edge-from-any~="${CSS.escape(last.from)}"][data-edge-to-any~="${CSS.escape(last.to)}"]`,
      );
    }
    // Several edges may join the two states (one per reason): prefer those whose label names
    // the reason (`FAILURE [failureRateReached]` for `failureRate`), else light them all.
    const reason = String(last.reason ?? '').toLowerCase();
    const stem = reason.length > 6 ? reason.slice(0, -3) : reason;
    const candidates = Array.from(edges);
    const named = candidates.filter((edge) => {
      const label = (edge.querySelector('text')?.textContent ?? '').toLowerCase();
      return label.includes(reason) || label.includes(stem);
    });
    for (const edge of named.length > 0 ? named : candidates) {
      edge.setAttribute('data-last-edge', 'true');
    }
  }

  function newBreakerCard(name: string): HTMLElement {
    const card = element('article', { class: 'card', 'data-breaker': name });
    const header = element('header');
    const store = element('span', { class: 'store', 'data-store-status': '' });
    store.hidden = true;
    header.append(element('h2', {}, name), store, element('span', { class: 'state' }));
    const admin = element('div', { class: 'admin' });
    for (const [action, label] of [
      ['forceOpen', 'Force open'],
      ['forceClose', 'Force close'],
      ['reset', 'Reset'],
    ] as const) {
      const button = element('button', { type: 'button', 'data-action': action }, label);
      button.addEventListener('click', () => void act(card, name, action));
      admin.append(button);
    }
    admin.append(element('span', { class: 'admin-result', role: 'status' }));
    card.append(
      header,
      element('div', { class: 'chart' }),
      element('dl', { class: 'counters' }),
      element('ol', { class: 'timeline' }),
      admin,
    );
    return card;
  }

  async function act(card: HTMLElement, name: string, action: string): Promise<void> {
    const result = card.querySelector('.admin-result') as HTMLElement;
    const token = tokenEl.value.trim();
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    try {
      const response = await fetch(
        `/api/breakers/${encodeURIComponent(name)}/${encodeURIComponent(action)}`,
        { method: 'POST', headers },
      );
      result.setAttribute('data-result', String(response.status));
      result.textContent =
        response.status === 204
          ? `${action}: done`
          : response.status === 401
            ? 'missing or wrong token'
            : response.status === 403
              ? 'read-only dashboard (started without a token)'
              : `${action} failed (${response.status})`;
    } catch (error) {
      result.setAttribute('data-result', 'error');
      result.textContent = String(error);
    }
  }

  const percent = (rate: unknown) =>
    typeof rate === 'number' ? `${Math.round(rate * 1000) / 10}%` : 'n/a';
  const formatTime = (at: number) =>
    at > 1e12 ? new Date(at).toISOString().slice(11, 23) : `t=${at}`;

  function counters(view: BreakerView): Array<[string, string, number | null]> {
    const stats = view.stats;
    const metrics = view.metrics ?? {};
    const config = view.config ?? {};
    const rows: Array<[string, string, number | null]> = [];
    const consecutive = Number(metrics.consecutiveFailures ?? stats.consecutiveFailures ?? 0);
    const threshold = config.failureThreshold;
    rows.push([
      'consecutive failures',
      typeof threshold === 'number' ? `${consecutive} / ${threshold}` : String(consecutive),
      typeof threshold === 'number' && threshold > 0 ? consecutive / threshold : null,
    ]);
    const buffered = metrics.bufferedCalls;
    const minimum = config.minimumThroughput;
    for (const [label, rate, limit] of [
      ['failure rate', metrics.failureRate, config.failureRateThreshold],
      ['slow-call rate', metrics.slowCallRate, config.slowCallRateThreshold],
    ] as const) {
      if (typeof limit !== 'number') continue;
      const below =
        typeof buffered === 'number' && typeof minimum === 'number' && buffered < minimum
          ? ` (${buffered} of ${minimum} calls needed)`
          : '';
      rows.push([
        label,
        `${percent(rate)} / ${percent(limit)}${below}`,
        typeof rate === 'number' ? rate / limit : null,
      ]);
    }
    const trip = view.trip;
    if (trip && view.state !== 'closed') {
      const why =
        trip.reason === 'failureRate'
          ? `failure rate ${percent(trip.failureRate)} / ${percent(trip.failureRateThreshold)} over ${trip.calls} calls`
          : trip.reason === 'slowCallRate'
            ? `slow-call rate ${percent(trip.slowCallRate)} / ${percent(trip.slowCallRateThreshold)} over ${trip.calls} calls`
            : trip.reason === 'consecutiveFailures'
              ? `${trip.consecutiveFailures} / ${trip.failureThreshold} failures in a row`
              : trip.reason === 'probeFailure'
                ? 'a half-open probe failed'
                : trip.reason === 'retryAfter'
                  ? `the service asked for ${trip.retryAfter} ms`
                  : trip.reason;
      rows.push(['tripped at', why, null]);
    }
    if (view.retryAt !== null) {
      const left = Math.max(0, view.retryAt - Date.now());
      rows.push(['half-open in', `${(left / 1000).toFixed(1)} s`, null]);
    }
    rows.push([
      'calls',
      `${stats.totalSuccesses ?? 0} ok · ${stats.totalFailures ?? 0} failed · ${stats.totalRejections ?? 0} rejected`,
      null,
    ]);
    return rows;
  }

  function renderBreaker(name: string): void {
    const view = breakers.get(name);
    let card = breakerCards.get(name);
    if (view === undefined) {
      card?.remove();
      breakerCards.delete(name);
      return;
    }
    if (card === undefined) {
      card = newBreakerCard(name);
      breakerCards.set(name, card);
      breakersEl.append(card);
      filterCard(card, name);
    }
    card.setAttribute('data-state', view.state);
    (card.querySelector('.state') as HTMLElement).textContent = view.state;
    // A breaker with a store: a badge, and its state in the chart's store region.
    const storeStatus = view.storeStatus ?? null;
    const badge = card.querySelector('.store') as HTMLElement;
    badge.hidden = storeStatus === null;
    badge.setAttribute('data-store-status', storeStatus ?? '');
    badge.textContent = storeStatus === null ? '' : `store ${storeStatus}`;
    badge.title =
      storeStatus === 'degraded'
        ? 'the shared-state store is unreachable: this replica decides as onStoreUnavailable says'
        : storeStatus === 'connected'
          ? 'shares its circuit with every replica through the store'
          : '';
    if (storeStatus === null) card.removeAttribute('data-store');
    else card.setAttribute('data-store', storeStatus);
    highlight(
      showChart(card, view.chart),
      [view.state, storeStatus ?? 'standalone'],
      view.lastTransition,
    );
    const list = card.querySelector('.counters') as HTMLElement;
    list.replaceChildren(
      ...counters(view).flatMap(([label, value, fill]) => {
        const dd = element('dd', {}, value);
        if (fill !== null) {
          dd.style.setProperty('--fill', `${Math.min(100, Math.round(fill * 100))}%`);
          dd.classList.add('bar');
        }
        return [element('dt', {}, label), dd];
      }),
    );
    const timeline = card.querySelector('.timeline') as HTMLElement;
    const key = JSON.stringify(view.transitions);
    if (timeline.dataset.key !== key) {
      timeline.dataset.key = key;
      timeline.replaceChildren(
        ...[...view.transitions].reverse().map((t) =>
          element(
            'li',
            {
              'data-transition': '',
              'data-from': t.from,
              'data-to': t.to,
              'data-reason': t.reason ?? '',
            },
            `${formatTime(t.at)} ${t.from} → ${t.to}${t.reason ? ` (${t.reason})` : ''}`,
          ),
        ),
      );
    }
    for (const button of Array.from(card.querySelectorAll('button'))) {
      (button as HTMLButtonElement).disabled = replaying;
      button.title = admin ? '' : 'read-only: the dashboard was started without a token';
    }
  }

  function renderActor(id: string): void {
    const view = actors.get(id);
    let card = actorCards.get(id);
    if (view === undefined) {
      card?.remove();
      actorCards.delete(id);
      return;
    }
    if (card === undefined) {
      card = element('article', { class: 'card actor', 'data-actor': id });
      const header = element('header');
      header.append(element('h2', {}, id), element('span', { class: 'state' }));
      card.append(
        header,
        element('div', { class: 'chart' }),
        element('pre', { class: 'context' }),
        element('ol', { class: 'log' }),
      );
      actorCards.set(id, card);
      actorsEl.append(card);
      filterCard(card, id);
    }
    const value = typeof view.value === 'string' ? view.value : JSON.stringify(view.value);
    card.setAttribute('data-state', value);
    card.setAttribute('data-status', view.status);
    (card.querySelector('.state') as HTMLElement).textContent = `${value} · ${view.status}`;
    highlight(showChart(card, view.chart), view.active, null);
    (card.querySelector('.context') as HTMLElement).textContent = JSON.stringify(
      view.context,
      null,
      2,
    );
    (card.querySelector('.log') as HTMLElement).replaceChildren(
      ...[...view.log]
        .reverse()
        .map((e) => element('li', { 'data-event': e.type }, `${formatTime(e.at)} ${e.type}`)),
    );
  }

  function filterCard(card: HTMLElement, name: string): void {
    const query = filterEl.value.trim().toLowerCase();
    card.hidden = query !== '' && !name.toLowerCase().includes(query);
  }

  filterEl.addEventListener('input', () => {
    for (const [name, card] of breakerCards) filterCard(card, name);
    for (const [id, card] of actorCards) filterCard(card, id);
  });

  // The countdown to half-open moves without any message.
  setInterval(() => {
    for (const [name, view] of breakers) if (view.retryAt !== null) mark(`b${name}`);
  }, 250);

  function record(message: Message): void {
    if (recorded.length < MAX_RECORDED) recorded.push(JSON.stringify(message));
  }

  byId('download').addEventListener('click', () => {
    const header = JSON.stringify({
      type: 'trace',
      format: TRACE_FORMAT,
      version: 1,
      recordedAt: Date.now(),
    });
    const blob = new Blob([`${[header, ...recorded].join('\n')}\n`], {
      type: 'application/x-ndjson',
    });
    const link = element('a', {
      href: URL.createObjectURL(blob),
      download: `dashboard-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`,
    });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.getAttribute('href') ?? ''), 10_000);
  });

  function parseTrace(text: string): Message[] {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
    const header = JSON.parse(lines[0] ?? '{}') as { type?: string; format?: string };
    if (header.type !== 'trace' || header.format !== TRACE_FORMAT) {
      throw new Error('not a dashboard trace (its first line is not the trace header)');
    }
    return lines.slice(1).map((line) => JSON.parse(line) as Message);
  }

  function startReplay(messages: Message[]): void {
    source?.close();
    replaying = true;
    replayMessages = messages;
    recorded = messages.map((message) => JSON.stringify(message));
    document.body.setAttribute('data-mode', 'replay');
    statusEl.textContent = 'replay';
    replayEl.hidden = false;
    sliderEl.min = '0';
    sliderEl.max = String(Math.max(0, messages.length - 1));
    sliderEl.value = sliderEl.max;
    seek(messages.length - 1);
  }

  function clearPage(): void {
    breakers = new Map();
    actors = new Map();
    charts.clear();
    breakersEl.replaceChildren();
    actorsEl.replaceChildren();
    breakerCards.clear();
    actorCards.clear();
  }

  /** Shows the session as it was after message `position`: replayed from the start. */
  function seek(position: number): void {
    clearPage();
    for (const message of replayMessages) if (message.type === 'chart') apply(message);
    for (const message of replayMessages.slice(0, position + 1)) {
      if (message.type !== 'chart') apply(message);
    }
    for (const name of breakers.keys()) mark(`b${name}`);
    for (const id of actors.keys()) mark(`a${id}`);
    const at = replayMessages[position]?.t;
    replayLabelEl.textContent =
      `step ${position + 1} of ${replayMessages.length}` +
      (at === undefined ? '' : ` · ${new Date(at).toISOString().slice(11, 23)}`);
    sliderEl.setAttribute('data-position', String(position));
  }

  sliderEl.addEventListener('input', () => seek(Number(sliderEl.value)));

  fileEl.addEventListener('change', async () => {
    const file = fileEl.files?.[0];
    if (file === undefined) return;
    try {
      startReplay(parseTrace(await file.text()));
    } catch (error) {
      statusEl.textContent = `cannot replay: ${String(error)}`;
    }
  });

  source = new EventSource('/api/events');
  source.onopen = () => {
    if (!replaying) statusEl.textContent = 'live';
  };
  source.onerror = () => {
    if (!replaying) statusEl.textContent = 'disconnected, retrying…';
  };
  source.onmessage = (event: MessageEvent<string>) => {
    if (replaying) return;
    const message = JSON.parse(event.data) as Message;
    message.t = Date.now();
    if (message.type === 'session' && message.mode === 'replay') {
      source?.close();
      void fetch('/api/trace')
        .then((response) => response.text())
        .then((text) => startReplay(parseTrace(text)))
        .catch((error: unknown) => {
          statusEl.textContent = `cannot replay: ${String(error)}`;
        });
      return;
    }
    // A (re)connected stream starts over with the whole session: drop what the page had.
    if (message.type === 'session') clearPage();
    record(message);
    apply(message);
  };
}
