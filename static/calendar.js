// A two-month calendar, 일–토 as Korean calendars are, with no dependencies. Two modes:
// - 'pick': the first tap chooses the first day, the second the last day (a tap before the first day
//   starts again, and so does a tap after a whole period). Past days and fully booked days cannot be
//   chosen; partly booked days can (their free hours may fit).
// - 'view': read-only. Each day shows the events (e.g. rentals) that cover it, coloured by their
//   `tone`; choosing a day lists its events with their links.
// Keyboard: the days of both months are one grid of buttons with a single tab stop (roving
// tabindex): arrows move by a day or a week, Home/End to the week's first/last day, PageUp/PageDown
// by a month, Enter or Space chooses. A live region says what was chosen.
//
// An element with `data-calendar-source="ID"` mounts itself in view mode from the JSON in the
// element `#ID`: `{first: "YYYY-MM", months, events: [{id, start, end, tone, label, title, who,
// period, href}], prev, next}` (`start`/`end` in epoch ms; `prev`/`next`: the pages PageUp and
// PageDown go to; the page shows its own links to them).

const WEEKDAYS = ['일', '월', '화', '수', '목', '금', '토'];
let serial = 0;

export const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
export const addDays = (d, n) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
const monthOf = (d) => new Date(d.getFullYear(), d.getMonth(), 1);
const addMonths = (d, n) => new Date(d.getFullYear(), d.getMonth() + n, 1);
const monthIndex = (d) => d.getFullYear() * 12 + d.getMonth();
const pad = (n) => String(n).padStart(2, '0');
const dayKey = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const hhmm = (ms) => { const t = new Date(ms); return `${pad(t.getHours())}:${pad(t.getMinutes())}`; };

/** `2025년 3월 5일 수요일`. */
export const longDate = (d) => `${d.getFullYear()}년 ${d.getMonth() + 1}월 ${d.getDate()}일 ${WEEKDAYS[d.getDay()]}요일`;
/** `3월 5일 (수)`. */
export const shortDate = (d) => `${d.getMonth() + 1}월 ${d.getDate()}일 (${WEEKDAYS[d.getDay()]})`;

/** How `periods` (`{start, end}` in ms, end exclusive) cover the day: 'full', 'part' or ''. */
export function coverage(day, periods) {
  const from = day.getTime();
  const to = addDays(day, 1).getTime();
  const hits = periods.filter((p) => p.start < to && p.end > from).sort((a, b) => a.start - b.start);
  if (!hits.length) return { kind: '', hits };
  let reached = from;
  for (const p of hits) {
    if (p.start > reached) break;
    reached = Math.max(reached, p.end);
  }
  return { kind: reached >= to ? 'full' : 'part', hits };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/**
 * Mounts a calendar in `root`. Options: `mode` ('pick' | 'view'), `months` (2), `first` (first month
 * shown, a Date), `min`/`max` (first/last month one may move to, Dates or null), `today`,
 * `booked` ([{start, end}] ms: shaded), `events` (view mode, see above), `label` (the grid group's
 * name), `onPick({start, end})` (pick mode; `end` null after the first tap), `onPage(delta)` (view
 * mode: PageUp/PageDown past the shown months).
 * Returns `{setRange(start, end), setBooked(periods), range(), focus()}`.
 */
export function createCalendar(root, options = {}) {
  const o = { mode: 'pick', months: 2, label: '달력', booked: [], events: null, min: null, max: null, nav: true, ...options };
  const id = `cal${++serial}`;
  const today = startOfDay(o.today || new Date());
  let first = monthOf(o.first || today);
  let focusDay = null;
  let start = null;
  let end = null;
  let booked = o.booked.slice();
  const events = o.events ? o.events.slice() : null;
  const view = o.mode === 'view';

  const canShow = (m) => (!o.min || monthIndex(m) >= monthIndex(o.min)) && (!o.max || monthIndex(m) <= monthIndex(o.max));
  const canFirst = (m) => canShow(m) && canShow(addMonths(m, o.months - 1));
  const lastShown = () => addMonths(first, o.months - 1);
  const shown = (d) => monthIndex(d) >= monthIndex(first) && monthIndex(d) <= monthIndex(lastShown());

  const prev = el('button', { type: 'button', class: 'cal-nav-btn', 'aria-label': '이전 달', title: '이전 달' }, '‹');
  const next = el('button', { type: 'button', class: 'cal-nav-btn', 'aria-label': '다음 달', title: '다음 달' }, '›');
  const span = el('p', { class: 'cal-span', 'aria-hidden': 'true' });
  const months = el('div', { class: 'cal-months' });
  const live = el('p', { class: 'sr-only', 'aria-live': 'polite' });
  const panel = events ? el('div', { class: 'cal-panel', id: `${id}-panel` }) : null;
  root.classList.add('cal', view ? 'cal-view' : 'cal-pick');
  root.setAttribute('role', 'group');
  root.setAttribute('aria-label', o.label);
  const head = el('div', { class: 'cal-head' }, prev, span, next);
  head.hidden = !o.nav;
  root.replaceChildren(...[head, months, live, panel].filter(Boolean));

  function eventsOn(day) {
    if (!events) return [];
    const from = day.getTime();
    const to = addDays(day, 1).getTime();
    return events.filter((e) => e.start < to && e.end > from);
  }

  function describe(day) {
    const parts = [longDate(day)];
    const cls = ['cal-day'];
    let blocked = '';
    if (day.getTime() === today.getTime()) { parts.push('오늘'); cls.push('today'); }
    if (day < today) { parts.push('지난 날'); cls.push('past'); blocked = '지난 날이에요'; }
    const cov = coverage(day, booked);
    if (cov.kind === 'full') {
      parts.push('예약됨');
      cls.push('booked');
      blocked ||= '이미 예약된 날이에요';
    } else if (cov.kind === 'part') {
      const h = cov.hits.map((p) => `${p.start <= day.getTime() ? '0:00' : hhmm(p.start)}–${p.end >= addDays(day, 1).getTime() ? '24:00' : hhmm(p.end)}`);
      parts.push(`일부 예약됨 ${h.join(', ')}`);
      cls.push('part');
    }
    let inRange = false;
    if (start) {
      const t = day.getTime();
      const last = end || start;
      inRange = t >= start.getTime() && t <= last.getTime();
      if (t === start.getTime()) { parts.push('빌리는 첫날'); cls.push('range-first'); if (!end) cls.push('range-open'); }
      if (end && t === end.getTime()) { parts.push('빌리는 마지막 날'); cls.push('range-last'); }
      if (inRange) cls.push('in-range');
    }
    const evs = eventsOn(day);
    if (evs.length) {
      parts.push(`대여 ${evs.length}건: ${evs.map((e) => e.label).join(', ')}`);
      cls.push('has-events');
    }
    if (view) blocked = '';
    return { label: parts.join(', '), cls, blocked, inRange, evs };
  }

  function dayButton(day) {
    const d = describe(day);
    const btn = el('button', {
      type: 'button',
      class: d.cls.join(' '),
      'data-day': dayKey(day),
      tabindex: '-1',
      'aria-label': d.label,
      'aria-pressed': view ? null : String(d.inRange),
      'aria-disabled': d.blocked ? 'true' : null,
      'aria-controls': panel ? panel.id : null,
    }, el('span', { class: 'cal-num', 'aria-hidden': 'true' }, day.getDate()));
    if (d.evs.length) {
      const marks = el('span', { class: 'cal-marks', 'aria-hidden': 'true' });
      // One strip per event, joined across the days it covers, with rounded ends on its first and last day.
      const from = day.getTime();
      const to = addDays(day, 1).getTime();
      for (const e of d.evs.slice(0, 3)) {
        marks.append(el('span', { class: `cal-mark tone-${e.tone}${e.start >= from ? ' from' : ''}${e.end <= to ? ' to' : ''}` }));
      }
      if (d.evs.length > 3) marks.append(el('span', { class: 'cal-more' }, `+${d.evs.length - 3}`));
      btn.append(marks);
    }
    return el('td', { role: 'gridcell', 'aria-selected': view ? null : String(d.inRange) }, btn);
  }

  function monthGrid(m) {
    const titleId = `${id}-${m.getFullYear()}-${m.getMonth() + 1}`;
    const body = el('tbody');
    let row = el('tr');
    for (let i = 0; i < m.getDay(); i++) row.append(el('td', { role: 'gridcell', class: 'cal-pad' }));
    for (let day = m; day.getMonth() === m.getMonth(); day = addDays(day, 1)) {
      if (day.getDay() === 0 && row.childNodes.length) { body.append(row); row = el('tr'); }
      row.append(dayButton(day));
    }
    while (row.childNodes.length < 7) row.append(el('td', { role: 'gridcell', class: 'cal-pad' }));
    body.append(row);
    const headRow = el('tr', {}, WEEKDAYS.map((w, i) => el('th', { scope: 'col', abbr: `${w}요일`, class: i === 0 ? 'sun' : i === 6 ? 'sat' : '' }, w)));
    return el('div', { class: 'cal-month' },
      el('h3', { class: 'cal-title', id: titleId }, `${m.getFullYear()}년 ${m.getMonth() + 1}월`),
      el('table', { class: 'cal-grid', role: 'grid', 'aria-labelledby': titleId }, el('thead', {}, headRow), body));
  }

  /** The day that holds the tab stop: the focused one if shown, else the chosen first day, else
   * today, else the 1st of the first month shown. */
  function tabDay() {
    for (const d of [focusDay, start, today]) if (d && shown(d)) return d;
    return first;
  }

  function render(keepFocus) {
    const had = keepFocus || months.contains(document.activeElement);
    months.replaceChildren(...Array.from({ length: o.months }, (_, i) => monthGrid(addMonths(first, i))));
    const a = first;
    const b = lastShown();
    span.textContent = a.getFullYear() === b.getFullYear()
      ? `${a.getFullYear()}년 ${a.getMonth() + 1}월 – ${b.getMonth() + 1}월`
      : `${a.getFullYear()}년 ${a.getMonth() + 1}월 – ${b.getFullYear()}년 ${b.getMonth() + 1}월`;
    prev.disabled = !canFirst(addMonths(first, -1)) && !(view && o.onPage);
    next.disabled = !canFirst(addMonths(first, 1)) && !(view && o.onPage);
    setTabStop(tabDay(), had);
  }

  function buttonOf(day) {
    return months.querySelector(`[data-day="${dayKey(day)}"]`);
  }

  function setTabStop(day, move) {
    months.querySelectorAll('.cal-day[tabindex="0"]').forEach((b) => b.setAttribute('tabindex', '-1'));
    const btn = buttonOf(day);
    if (!btn) return;
    btn.setAttribute('tabindex', '0');
    focusDay = day;
    if (move) btn.focus();
  }

  /** The first month to show so that `day` is shown, moving as little as possible. */
  const firstFor = (day) => (monthIndex(day) < monthIndex(first) ? monthOf(day) : addMonths(monthOf(day), 1 - o.months));

  /** Moves the keyboard focus to `day`, turning the months when it is not shown (within min/max). */
  function moveTo(day, delta) {
    if (!shown(day)) {
      if (view) {
        if (delta && o.onPage) o.onPage(delta);
        return;
      }
      const target = firstFor(day);
      if (!canFirst(target)) return;
      first = target;
      focusDay = day;
      render(true);
      return;
    }
    setTabStop(day, true);
  }

  function turn(delta) {
    const target = addMonths(first, delta);
    if (view) {
      if (o.onPage) o.onPage(delta);
      return;
    }
    if (!canFirst(target)) return;
    first = target;
    if (focusDay && !shown(focusDay)) focusDay = null;
    render(false);
    live.textContent = span.textContent;
  }

  function choose(day) {
    focusDay = day;
    if (view) {
      showDay(day);
      setTabStop(day, false);
      return;
    }
    const d = describe(day);
    if (d.blocked) {
      live.textContent = `${shortDate(day)}: ${d.blocked}. 다른 날을 골라 주세요.`;
      return;
    }
    if (!start || end || day < start) {
      start = day;
      end = null;
      live.textContent = `${shortDate(day)}부터 빌려요. 마지막 날을 골라 주세요.`;
    } else {
      end = day;
      const n = Math.round((end - start) / 86400000) + 1;
      live.textContent = `${shortDate(start)}부터 ${shortDate(end)}까지, ${n}일을 골랐어요.`;
    }
    render(true);
    if (o.onPick) o.onPick({ start, end });
  }

  function showDay(day) {
    if (!panel) return;
    const evs = eventsOn(day);
    const list = el('ul', { class: 'cal-events' }, evs.map((e) => el('li', {},
      el('span', { class: `cal-swatch tone-${e.tone}`, 'aria-hidden': 'true' }),
      el('a', { href: e.href }, e.title),
      el('span', { class: 'meta' }, ` ${e.label} · ${e.who} · ${e.period}`))));
    panel.replaceChildren(
      el('h3', {}, `${longDate(day)} · 대여 ${evs.length}건`),
      evs.length ? list : el('p', { class: 'meta' }, '이 날은 대여가 없어요.'));
    live.textContent = `${shortDate(day)}: 대여 ${evs.length}건`;
  }

  months.addEventListener('click', (e) => {
    const btn = e.target.closest('.cal-day');
    if (!btn) return;
    const [y, m, d] = btn.dataset.day.split('-').map(Number);
    choose(new Date(y, m - 1, d));
  });
  months.addEventListener('keydown', (e) => {
    const btn = e.target.closest('.cal-day');
    if (!btn) return;
    const [y, m, d] = btn.dataset.day.split('-').map(Number);
    const day = new Date(y, m - 1, d);
    let to = null;
    let delta = 0;
    switch (e.key) {
      case 'ArrowLeft': to = addDays(day, -1); break;
      case 'ArrowRight': to = addDays(day, 1); break;
      case 'ArrowUp': to = addDays(day, -7); break;
      case 'ArrowDown': to = addDays(day, 7); break;
      case 'Home': to = addDays(day, -day.getDay()); break;
      case 'End': to = addDays(day, 6 - day.getDay()); break;
      case 'PageUp':
      case 'PageDown': {
        delta = e.key === 'PageUp' ? -1 : 1;
        const target = addMonths(day, delta);
        const lastDay = addDays(addMonths(target, 1), -1).getDate();
        to = new Date(target.getFullYear(), target.getMonth(), Math.min(day.getDate(), lastDay));
        break;
      }
      default: return;
    }
    e.preventDefault();
    moveTo(to, delta);
  });
  prev.addEventListener('click', () => turn(-1));
  next.addEventListener('click', () => turn(1));

  render(false);
  if (panel && shown(today)) showDay(today);

  return {
    /** Shows a period chosen elsewhere (e.g. typed times), without calling `onPick`. */
    setRange(s, e) {
      start = s ? startOfDay(s) : null;
      end = start && e ? startOfDay(e) : null;
      if (end && end < start) end = null;
      if (start && !shown(start) && canFirst(firstFor(start))) first = firstFor(start);
      render(false);
    },
    setBooked(periods) {
      booked = periods.slice();
      render(false);
    },
    range: () => ({ start, end }),
    focus: () => buttonOf(tabDay())?.focus(),
  };
}

// Self-mounting read-only calendars (the lender's page).
for (const root of document.querySelectorAll('[data-calendar-source]')) {
  let data;
  try {
    data = JSON.parse(document.getElementById(root.dataset.calendarSource).textContent);
  } catch (e) {
    continue;
  }
  const [y, m] = String(data.first).split('-').map(Number);
  const firstMonth = new Date(y, m - 1, 1);
  createCalendar(root, {
    mode: 'view',
    months: data.months || 2,
    first: firstMonth,
    min: firstMonth,
    max: addMonths(firstMonth, (data.months || 2) - 1),
    events: data.events || [],
    label: root.dataset.label || '대여 달력',
    nav: false,
    onPage: (delta) => {
      const href = delta < 0 ? data.prev : data.next;
      if (href) location.href = href;
    },
  });
}
