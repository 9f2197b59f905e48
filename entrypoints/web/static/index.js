// Scoreline game list (/). Polls GET /games every ~5 s; live games first,
// then upcoming, then finished (postponed/cancelled last). Vanilla JS.
(() => {
  'use strict';
  const GROUPS = [
    ['LIVE', 'Live now'], ['SCHEDULED', 'Upcoming'], ['FINAL', 'Finished'],
    ['POSTPONED', 'Postponed'], ['CANCELLED', 'Cancelled'],
  ];
  const STATUS = { SCHEDULED: 'Upcoming', LIVE: 'Live', FINAL: 'Final', POSTPONED: 'Postponed',
    CANCELLED: 'Cancelled' };
  const SPORT = { soccer: 'Soccer', basketball: 'Basketball', american_football: 'Football',
    ice_hockey: 'Hockey' };
  const root = document.getElementById('games');
  const indicator = document.getElementById('updated');
  let last = '';

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function clock(g) {
    const s = g.clock_seconds;
    if (s == null) return '';
    if (g.sport === 'soccer') { // match minute, stoppage time as 90+2'
      const min = Math.floor(s / 60) + 1;
      const cap = [0, 45, 90, 105, 120][g.current_period];
      return cap && min > cap ? `${cap}+${min - cap}'` : `${min}'`;
    }
    return `${Math.floor(Math.max(0, s) / 60)}:${String(Math.max(0, s) % 60).padStart(2, '0')}`;
  }

  function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short',
      hour: '2-digit', minute: '2-digit' });
  }

  function card(g) {
    const a = el('a', 'game');
    a.href = '/games/' + encodeURIComponent(g.game_id);
    a.dataset.gameId = g.game_id;
    a.dataset.status = g.status;
    const started = g.status === 'LIVE' || g.status === 'FINAL';
    const home = g.home_team_name || g.home_team_id;
    const away = g.away_team_name || g.away_team_id;
    a.append(el('span', 'side', home), el('span', 'pts', started ? g.home_score : ''),
      el('span', 'side', away), el('span', 'pts', started ? g.away_score : ''));
    const info = el('span', 'info');
    const status = el('span', 'status', STATUS[g.status] || g.status);
    status.dataset.status = g.status;
    info.append(status);
    const bits = [];
    if (g.status === 'LIVE') bits.push(g.period_name, clock(g));
    if (g.status === 'SCHEDULED' && g.start_time) bits.push(when(g.start_time));
    bits.push(g.league || SPORT[g.sport] || g.sport);
    for (const b of bits) if (b) info.append(el('span', null, b));
    a.append(info);
    a.setAttribute('aria-label', `${home} ${started ? g.home_score : ''} ${away} ${started ? g.away_score : ''}, ${status.textContent}`);
    return a;
  }

  function render(games) {
    const byStart = (x, y) => String(x.start_time || '').localeCompare(String(y.start_time || ''));
    const frag = document.createDocumentFragment();
    for (const [status, title] of GROUPS) {
      const list = games.filter((g) => g.status === status).sort(byStart);
      if (status === 'FINAL') list.reverse();
      if (!list.length) continue;
      const section = el('section', 'group');
      section.dataset.status = status;
      section.append(el('h2', null, `${title} (${list.length})`));
      const ul = el('ul');
      for (const g of list) { const li = el('li'); li.append(card(g)); ul.append(li); }
      section.append(ul);
      frag.append(section);
    }
    if (!frag.childNodes.length) frag.append(el('p', 'empty', 'No games right now.'));
    root.replaceChildren(frag);
  }

  // Only a change of state is (politely) announced; the time goes in the tooltip.
  function setState(state, text) {
    indicator.title = state === 'live' ? 'Updated ' + new Date().toLocaleTimeString() : '';
    if (indicator.dataset.state === state) return;
    indicator.dataset.state = state;
    indicator.textContent = text;
  }

  async function refresh() {
    try {
      const r = await fetch('/games', { cache: 'no-store' });
      if (!r.ok) throw new Error(String(r.status));
      const body = await r.text();
      if (body !== last) { last = body; render(JSON.parse(body).games || []); }
      setState('live', 'live');
    } catch (e) {
      setState('reconnecting', 'offline, retrying');
    }
    clearTimeout(timer);
    timer = setTimeout(refresh, document.hidden ? 15000 : 4000 + Math.random() * 2000);
  }

  let timer = 0;
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) { clearTimeout(timer); refresh(); }
  });
  refresh();
})();
