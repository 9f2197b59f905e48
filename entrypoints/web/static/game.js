// Scoreline game page (/games/{game_id}). Vanilla JS, no dependencies.
//
// Transport: an EventSource on /games/{id}/stream ("live"). The browser itself
// reconnects a dropped stream with Last-Event-ID ("reconnecting"). If the stream
// cannot be opened, is closed for good, or stays down for GRACE_MS, the page polls
// /games/{id}/state every 1 s + 0–2 s jitter with If-None-Match ("polling"; a 304
// leaves the board as it is) and tries streaming again every ~retry seconds,
// switching back as soon as a stream opens. The event feed is filled in from
// /games/{id}/events when the page has missed events (first load, polling gaps).
//
// Query parameters (for tests and debugging):
//   ?transport=poll  never stream, poll only (also used when EventSource is missing).
//   ?retry=SECONDS   how long to poll before trying the stream again (default 20).
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const gameId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  const base = '/games/' + encodeURIComponent(gameId);
  const forcePoll = params.get('transport') === 'poll' || !('EventSource' in window);
  const retryMs = (Number(params.get('retry')) || 20) * 1000;
  const GRACE_MS = 5000;
  const MAX_EVENTS = 60;

  const SCORING = new Set(['GOAL', 'OWN_GOAL', 'PENALTY_GOAL', 'FREE_THROW', 'TWO_POINTER',
    'THREE_POINTER', 'TOUCHDOWN', 'FIELD_GOAL', 'EXTRA_POINT', 'TWO_POINT_CONVERSION', 'SAFETY',
    'SHOOTOUT_GOAL']);
  const REVISIONS = new Set(['EVENT_RETRACTED', 'EVENT_CORRECTED']);
  const STATUS = { SCHEDULED: 'Upcoming', LIVE: 'Live', FINAL: 'Final', POSTPONED: 'Postponed',
    CANCELLED: 'Cancelled' };
  const LABEL = { GAME_SCHEDULED: 'Game scheduled', PENALTY_GOAL: 'Penalty goal',
    SHOOTOUT_GOAL: 'Shootout goal', TWO_POINTER: '2 points', THREE_POINTER: '3 points',
    TWO_POINT_CONVERSION: '2-point conversion', GAME_POSTPONED: 'Postponed',
    GAME_CANCELLED: 'Cancelled' };
  const START = { soccer: 'Kick-off', basketball: 'Tip-off', american_football: 'Kickoff',
    ice_hockey: 'Puck drop' };
  const PERIODS = { soccer: ['1st half', '2nd half', 'Extra time 1', 'Extra time 2', 'Penalties'],
    basketball: ['Q1', 'Q2', 'Q3', 'Q4'], american_football: ['Q1', 'Q2', 'Q3', 'Q4'],
    ice_hockey: ['P1', 'P2', 'P3'] };
  const periodName = (sport, n) => !n ? '' : (PERIODS[sport] || [])[n - 1] || 'OT';
  const words = (t) => t.charAt(0) + t.slice(1).toLowerCase().replace(/_/g, ' ');
  const label = (t) => LABEL[t] || words(t || 'EVENT');

  let board = null; // the state on screen
  let feedVersion = 0; // every event up to this version is in the feed (or was dropped as old)
  const feed = new Map(); // event_id -> {ev, li}

  // ------------------------------------------------------------------ render
  const teamName = (id) => !board ? id : id === board.home_team_id
    ? board.home_team_name || id : id === board.away_team_id ? board.away_team_name || id : id;

  // Soccer: elapsed seconds as the match minute (0:00–0:59 is 1'), stoppage time
  // as 45+2'. Other sports: time left in the period as m:ss.
  function clockText(sport, period, secs) {
    if (secs == null) return '';
    if (sport === 'soccer') {
      const min = Math.floor(secs / 60) + 1;
      const cap = [0, 45, 90, 105, 120][period];
      return cap && min > cap ? `${cap}+${min - cap}'` : `${min}'`;
    }
    secs = Math.max(0, secs);
    return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
  }

  function setText(id, text) {
    const el = $(id);
    if (el.textContent !== String(text)) el.textContent = text;
  }

  function setScore(id, value) {
    const el = $(id);
    if (el.textContent === String(value)) return;
    const wasNumber = /^\d+$/.test(el.textContent);
    el.textContent = value;
    if (wasNumber) { el.classList.remove('bump'); void el.offsetWidth; el.classList.add('bump'); }
  }

  // snapshot: a whole state (stream "state" event or a poll), shown even if older.
  function render(s, snapshot, withLastEvent = true) {
    if (!s || (!snapshot && board && s.version < board.version)) return;
    board = s;
    const home = s.home_team_name || s.home_team_id;
    const away = s.away_team_name || s.away_team_id;
    setText('home-name', home);
    setText('away-name', away);
    const started = s.status !== 'SCHEDULED';
    setScore('home-score', started ? s.home_score : '–');
    setScore('away-score', started ? s.away_score : '–');
    const status = $('status');
    status.dataset.status = s.status;
    let statusText = STATUS[s.status] || s.status;
    if (s.status === 'SCHEDULED' && s.start_time) {
      const when = new Date(s.start_time);
      if (!isNaN(when)) statusText += ' · ' + when.toLocaleString([], { weekday: 'short',
        day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    }
    setText('status', statusText);
    const live = s.status === 'LIVE';
    setText('period', live ? s.period_name || '' : '');
    setText('clock', live ? clockText(s.sport, s.current_period, s.clock_seconds) : '');
    $('shootout').hidden = !(s.shootout_home || s.shootout_away);
    setText('shootout', `Shootout ${s.shootout_home}–${s.shootout_away}`);
    setText('meta', [s.league, s.season, s.venue].filter(Boolean).join(' · '));
    $('notice').hidden = true;
    document.title = started ? `${home} ${s.home_score}–${s.away_score} ${away} · Scoreline`
      : `${home} v ${away} · Scoreline`;
    if (withLastEvent && s.last_event) addEvent(s.last_event, null);
  }

  // -------------------------------------------------------------------- feed
  function defaultText(ev) {
    switch (ev.event_type) {
      case 'GAME_STARTED': return START[ev.sport] || 'Game started';
      case 'GAME_FINAL': return ev.sport === 'soccer' ? 'Full time' : 'Final';
      case 'PERIOD_START': return `${periodName(ev.sport, ev.period) || 'Period'} started`;
      case 'PERIOD_END': return `End of ${periodName(ev.sport, ev.period) || 'period'}`;
      default: return label(ev.event_type);
    }
  }

  function fillItem(li, ev) {
    li.className = REVISIONS.has(ev.event_type) ? 'revision' : '';
    li.textContent = '';
    if (SCORING.has(ev.event_type)) li.classList.add('scoring');
    const when = document.createElement('span');
    when.className = 'when';
    const period = ev.sport === 'soccer' ? '' : periodName(ev.sport, ev.period);
    when.textContent = [period, clockText(ev.sport, ev.period, ev.clock_seconds)]
      .filter(Boolean).join(' ');
    const what = document.createElement('span');
    what.className = 'what';
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = ev._text || ev.description || defaultText(ev);
    what.append(text);
    // The scorer's (or carded player's) name, when the feed gives one the text lacks.
    if (ev.player_name && !ev._text && !text.textContent.includes(ev.player_name)) {
      const who = document.createElement('span');
      who.className = 'player';
      who.textContent = ev.player_name;
      what.append(who);
    }
    li.append(when, what);
    if (ev.team_id && !ev._text) {
      const team = document.createElement('span');
      team.className = 'team';
      team.textContent = teamName(ev.team_id);
      li.append(team);
    }
    if (ev._tag) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = ev._tag;
      what.append(tag);
      if (ev._tag === 'overturned') li.classList.add('retracted');
    }
  }

  // A retraction or correction: say so, and mark the event it revises.
  function describeRevision(ev, before, after) {
    const target = feed.get(ev.references_event_id);
    const dropped = before && after &&
      after.home_score + after.away_score < before.home_score + before.away_score;
    const scoreWord = ev.sport === 'soccer' || ev.sport === 'ice_hockey' ? 'Goal' : 'Score';
    const what = target ? label(target.ev.event_type) : dropped ? scoreWord : 'Earlier event';
    if (ev.event_type === 'EVENT_RETRACTED') {
      ev._text = `${what} overturned on review` + (ev.description ? ` — ${ev.description}` : '');
      if (target) { target.ev._tag = 'overturned'; fillItem(target.li, target.ev); }
      return;
    }
    const c = ev.correction || {};
    const changes = [];
    if (c.event_type) changes.push(`now ${label(c.event_type).toLowerCase()}`);
    if (c.team_id) changes.push(`credited to ${teamName(c.team_id)}`);
    if (c.description) changes.push(c.description);
    ev._text = `${what} corrected on review` + (changes.length ? `: ${changes.join(', ')}` : '');
    if (target) {
      // A new player without a name: the old name was the old player's.
      const moved = c.player_id != null && c.player_id !== target.ev.player_id;
      if (moved && c.player_name == null) target.ev.player_name = null;
      for (const k of ['event_type', 'team_id', 'player_id', 'player_name', 'clock_seconds', 'period', 'description']) {
        if (c[k] != null) target.ev[k] = c[k];
      }
      target.ev._tag = 'corrected';
      fillItem(target.li, target.ev);
    }
  }

  function addEvent(native, before) {
    if (!native || !native.event_id || feed.has(native.event_id)) return;
    if (native.event_type === 'CLOCK_UPDATE') return;
    const ev = Object.assign({}, native);
    if (REVISIONS.has(ev.event_type)) describeRevision(ev, before, board);
    const li = document.createElement('li');
    li.dataset.eventId = ev.event_id;
    li.dataset.seq = ev.sequence_number || 0;
    fillItem(li, ev);
    li.classList.add('fresh');
    const list = $('events');
    let next = list.firstElementChild; // newest first
    while (next && Number(next.dataset.seq) > Number(li.dataset.seq)) next = next.nextElementSibling;
    list.insertBefore(li, next);
    feed.set(ev.event_id, { ev, li });
    while (list.children.length > MAX_EVENTS) {
      feed.delete(list.lastElementChild.dataset.eventId);
      list.lastElementChild.remove();
    }
  }

  // Fill the feed with the events up to `version` that it has not seen. The board
  // never waits on this: it is only the list below it.
  async function catchUp(version) {
    if (version <= feedVersion) return;
    const after = Math.max(feedVersion, version - MAX_EVENTS);
    feedVersion = version;
    try {
      const r = await fetch(`${base}/events?after_version=${after}&limit=${MAX_EVENTS}`,
        { cache: 'no-store' });
      if (!r.ok) return;
      for (const item of (await r.json()).events || []) addEvent(item.event, null);
    } catch (e) { /* keep what the feed has */ }
  }

  // A whole state: onto the board now, then the feed caught up to it.
  function show(s) {
    render(s, true, false);
    catchUp(s.version).then(() => addEvent(s.last_event, null));
  }

  // --------------------------------------------------------------- transport
  let source = null;
  let graceTimer = 0;
  let retryTimer = 0;
  let polling = 0; // generation; 0 = not polling
  let etag = null;

  function setConn(state) {
    const el = $('connection');
    if (el.dataset.state !== state) { el.dataset.state = state; el.textContent = state; }
  }

  function notice(text) {
    setText('notice', text);
    $('notice').hidden = false;
  }

  function stream() {
    clearTimeout(retryTimer);
    // Coming back from polling: ask the server to replay what happened meanwhile.
    const resume = board ? `?last_event_id=${board.version}` : '';
    const es = new EventSource(base + '/stream' + resume);
    let opened = false;
    source = es;
    es.onopen = () => {
      if (source !== es) return;
      opened = true;
      clearTimeout(graceTimer);
      graceTimer = 0;
      stopPolling();
      setConn('live');
    };
    es.addEventListener('state', (m) => {
      if (source === es) show(JSON.parse(m.data));
    });
    es.addEventListener('game_event', (m) => {
      if (source !== es) return;
      const msg = JSON.parse(m.data);
      const before = board;
      if (msg.state) render(msg.state, false, false);
      addEvent(msg.event, before);
      feedVersion = Math.max(feedVersion, msg.version || 0);
    });
    es.onerror = () => {
      if (source !== es) return;
      if (!opened || es.readyState === EventSource.CLOSED) { fallBack(); return; }
      setConn('reconnecting'); // the browser is retrying with Last-Event-ID
      if (!graceTimer) graceTimer = setTimeout(fallBack, GRACE_MS);
    };
  }

  function fallBack() {
    if (source) { source.close(); source = null; }
    clearTimeout(graceTimer);
    graceTimer = 0;
    startPolling();
    if (!forcePoll) retryTimer = setTimeout(stream, retryMs * (0.75 + Math.random() * 0.5));
  }

  function startPolling() {
    if (polling) return;
    const gen = polling = Date.now();
    setConn('polling');
    const tick = async () => {
      try {
        const headers = etag ? { 'If-None-Match': etag } : {};
        const r = await fetch(base + '/state', { headers, cache: 'no-store' });
        if (polling !== gen) return;
        if (r.status === 200) {
          const s = await r.json();
          if (polling !== gen) return;
          etag = r.headers.get('ETag');
          show(s);
          setConn('polling');
        } else if (r.status === 304) {
          setConn('polling');
        } else if (r.status === 404) {
          notice('No such game (yet). Still watching…');
          setConn('polling');
        } else {
          setConn('reconnecting');
        }
      } catch (e) {
        if (polling !== gen) return;
        setConn('reconnecting');
      }
      if (polling === gen) setTimeout(tick, 1000 + Math.random() * 2000);
    };
    tick();
  }

  function stopPolling() { polling = 0; }

  if (!gameId) { notice('No game given.'); return; }
  if (forcePoll) startPolling(); else stream();
})();
