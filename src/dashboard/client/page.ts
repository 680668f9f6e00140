import { dashboardClient } from './app.js';

/**
 * The page's script: the client function's own source, called at once. Built into the package
 * with the rest of the entry, so nothing is read from disk or fetched from elsewhere at run time.
 * Tools that compile TypeScript with `keepNames` (tsx, for one) wrap functions in `__name(...)`,
 * a helper defined outside the function: the page gets a stand-in.
 */
export const DASHBOARD_SCRIPT = `'use strict';
var __name = function (target) { return target; };
(${dashboardClient.toString()})();
`;

const STYLE = `
:root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; --closed: #1f8a4c;
  --open: #c62828; --halfOpen: #d98b00; --forcedOpen: #7b1fa2; --disabled: #607d8b; }
body { margin: 0; background: #f4f5f7; color: #1d2330; }
body > header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 8px;
  align-items: center; padding: 10px 16px; background: #1d2330; color: #fff; }
body > header h1 { font-size: 16px; margin: 0 12px 0 0; }
body > header input, body > header button, body > header label { font: inherit; }
#status { margin-left: auto; opacity: .8; }
#replay { padding: 8px 16px; background: #fff3cd; display: flex; gap: 12px; align-items: center; }
#replay[hidden] { display: none; }
#replay input { flex: 1; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 540px), 1fr)); gap: 12px;
  padding: 12px 16px; }
h3.section { margin: 8px 16px 0; font-size: 13px; text-transform: uppercase; color: #667; }
.card { background: #fff; border-radius: 8px; padding: 10px 12px; border-top: 4px solid #999;
  box-shadow: 0 1px 2px rgba(0,0,0,.12); min-width: 0; }
.card[hidden] { display: none; }
.card[data-state="closed"] { border-top-color: var(--closed); }
.card[data-state="open"] { border-top-color: var(--open); }
.card[data-state="halfOpen"] { border-top-color: var(--halfOpen); }
.card[data-state="forcedOpen"] { border-top-color: var(--forcedOpen); }
.card[data-state="disabled"] { border-top-color: var(--disabled); }
.card > header { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.card h2 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
.card .state { font-weight: 600; }
.card .store { margin-left: auto; font-size: 12px; padding: 1px 8px; border-radius: 10px;
  background: #e3f2e8; color: #1f6b3c; white-space: nowrap; }
.card .store[hidden] { display: none; }
.card .store[data-store-status="degraded"] { background: #fdecea; color: #b3261e; font-weight: 600; }
.chart svg { width: 100%; height: auto; max-height: 320px; }
.chart [data-active="true"] > path, .chart [data-active="true"] > polygon,
.chart [data-active="true"] > ellipse { fill: #ffe08a; stroke: #b26a00; stroke-width: 2.5px; }
.chart [data-last-edge="true"] > path { stroke: #d32f2f; stroke-width: 2.5px; }
.chart [data-last-edge="true"] > polygon { fill: #d32f2f; stroke: #d32f2f; }
.chart [data-last-edge="true"] > text { fill: #d32f2f; font-weight: 700; }
.counters { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 6px 0; }
.counters dt { color: #556; }
.counters dd { margin: 0; }
.counters dd.bar { background: linear-gradient(90deg, #ffcdd2 var(--fill), transparent var(--fill));
  border-radius: 3px; padding: 0 4px; }
.timeline, .log { margin: 4px 0; padding-left: 0; list-style: none; max-height: 120px; overflow: auto;
  font: 12px ui-monospace, monospace; }
.context { max-height: 140px; overflow: auto; background: #f6f8fa; padding: 6px;
  font: 12px ui-monospace, monospace; }
.admin { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.admin-result { font-size: 12px; color: #556; }
`;

/** The dashboard page: markup and style; behaviour comes from `/dashboard.js`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Circuit breakers</title>
<style>${STYLE}</style>
<script src="/dashboard.js" defer></script>
</head>
<body data-mode="live">
<header>
  <h1>Circuit breakers</h1>
  <input id="filter" type="search" placeholder="Filter by name" aria-label="Filter by name">
  <input id="token" type="password" placeholder="Admin token" aria-label="Admin token" autocomplete="off">
  <button id="download" type="button">Download trace</button>
  <label>Replay a trace <input id="trace-file" type="file" accept=".jsonl,.ndjson,application/x-ndjson"></label>
  <span id="status" role="status">connecting…</span>
</header>
<div id="replay" hidden>
  <input id="replay-position" type="range" min="0" max="0" value="0" aria-label="Replay position">
  <span id="replay-label"></span>
</div>
<main>
<section class="grid" id="breakers" aria-label="Breakers"></section>
<h3 class="section">Inspected actors</h3>
<section class="grid" id="actors" aria-label="Inspected actors"></section>
</main>
</body>
</html>
`;
