// The live re-plan, derived from a facilitator's view alone (docs/protocol.md, sections
// workshop, plan and history), the way app/core/timer.py projects it on the server: the
// current step ends at its deadline (or now plus its remaining time while paused), every
// later step follows with its planned length. Pure functions of a view and a time.

const MINUTE_MS = 60_000;
const MIN_STEP_MS = MINUTE_MS; // a suggestion never leaves a step shorter than a minute
const MAX_CUT_SHARE = 0.3; // nor takes more than this share of its planned length
const TOLERANCE_MS = 30_000; // drift below this is "on time"

const byIndex = ([a], [b]) => Number(a) - Number(b);

/** The plan's steps in order, as [index, step] pairs with a numeric index. */
export function planSteps(view) {
  return Object.entries(view.plan ?? {}).sort(byIndex).map(([index, step]) => [Number(index), step]);
}

function parse(iso) {
  return iso ? Date.parse(iso) : null;
}

/** What each step really ran: first start, last end, active milliseconds (pauses excluded). */
function actualTimes(view, now) {
  const w = view.workshop?.main ?? {};
  const pausedAt = parse(w.paused_at);
  const actual = new Map();
  for (const [, run] of Object.entries(view.history ?? {}).sort(byIndex)) {
    const start = parse(run.started_at);
    const end = parse(run.ended_at);
    let active = (end ?? now) - start - (run.paused_s ?? 0) * 1000;
    if (end === null && pausedAt !== null) active -= now - pausedAt; // the pause going on now
    const entry = actual.get(run.index) ?? { start, end: null, activeMs: 0, runs: 0 };
    entry.end = end;
    entry.activeMs += Math.max(0, active);
    entry.runs += 1;
    actual.set(run.index, entry);
  }
  return actual;
}

/**
 * Planned, actual and projected times of every step at server time `now` (ms), the planned
 * and projected end of the workshop and the drift between them (positive: running late).
 */
export function liveTimes(view, now) {
  const w = view.workshop?.main ?? {};
  const phase = w.phase ?? "lobby";
  const cursor = w.cursor ?? 0;
  const steps = planSteps(view);
  const actual = actualTimes(view, now);
  const startedAt = parse(w.started_at);
  let cursorEnd = null;
  if (phase === "lobby") cursorEnd = now;
  else if (phase === "paused") cursorEnd = now + (w.remaining_s ?? 0) * 1000;
  else if (phase === "running") cursorEnd = Math.max(parse(w.deadline) ?? now, now);
  const lastRun = Object.entries(view.history ?? {}).sort(byIndex).at(-1)?.[1];
  let plannedAt = startedAt ?? now;
  let runningEnd = cursorEnd;
  const rows = [];
  for (const [index, step] of steps) {
    const plannedMs = (step.seconds ?? 0) * 1000;
    const row = {
      index,
      step,
      plannedMs,
      plannedStart: plannedAt,
      plannedEnd: plannedAt + plannedMs,
      actual: actual.get(index) ?? null,
      status: "upcoming",
      projectedStart: null,
      projectedEnd: null,
    };
    plannedAt += plannedMs;
    const behind = phase === "ended" || (phase !== "lobby" && index < cursor);
    if (behind) {
      row.status = actual.has(index) ? "done" : "skipped";
    } else if (phase !== "lobby" && index === cursor) {
      row.status = "current";
      row.projectedStart = parse(lastRun?.started_at);
      row.projectedEnd = cursorEnd;
    } else {
      row.projectedStart = runningEnd;
      row.projectedEnd = runningEnd + plannedMs;
      runningEnd = row.projectedEnd;
    }
    rows.push(row);
  }
  const plannedEnd = plannedAt;
  const projectedEnd = phase === "ended" ? parse(w.ended_at) : runningEnd;
  const driftMs = projectedEnd === null ? 0 : projectedEnd - plannedEnd;
  return { phase, cursor, rows, plannedEnd, projectedEnd, driftMs };
}

/**
 * Later steps that could be shortened to win back a late-running workshop: the longest
 * first, each by at most MAX_CUT_SHARE of its length in whole minutes and never below a
 * minute, until the drift is covered. Each suggestion: {index, step, fromMs, toMinutes}.
 */
export function shortenSuggestions(times) {
  if (times.phase === "ended" || times.driftMs <= TOLERANCE_MS) return [];
  let left = Math.ceil(times.driftMs / MINUTE_MS) * MINUTE_MS;
  const later = times.rows
    .filter((row) => row.status === "upcoming")
    .sort((a, b) => b.plannedMs - a.plannedMs || a.index - b.index);
  const suggestions = [];
  for (const row of later) {
    if (left <= 0) break;
    const most = Math.min(
      Math.floor((row.plannedMs * MAX_CUT_SHARE) / MINUTE_MS) * MINUTE_MS,
      row.plannedMs - MIN_STEP_MS,
    );
    const cut = Math.min(most, left);
    if (cut < MINUTE_MS) continue;
    suggestions.push({
      index: row.index,
      step: row.step,
      fromMs: row.plannedMs,
      toMinutes: (row.plannedMs - cut) / MINUTE_MS,
    });
    left -= cut;
  }
  return suggestions.sort((a, b) => a.index - b.index);
}

/** Whether a drift counts as on time. */
export function onTime(driftMs) {
  return Math.abs(driftMs) <= TOLERANCE_MS;
}
