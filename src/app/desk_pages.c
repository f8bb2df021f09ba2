/* desk_pages.c - the adjudication desk's pages and script, compiled in
 *
 * The login form posts straight to /login (no script needed); the desk
 * page loads its queue from /api/desk, a ballot from /api/ballot and its
 * drawn page from /page.png, and posts decisions to /decide with the
 * session's CSRF token (under four eyes a second member confirms at
 * /confirm). Every text from the store goes in with
 * textContent only. Dutch in the pages; desk.js puts the labels in
 * English with ?lang=en, as app.js does for the other screens. No inline
 * script or style (the Content-Security-Policy allows neither).
 */
#include "app/desk.h"


#define DESK_HEAD(title)                                                           \
    "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"              \
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"        \
    "<title>" title "</title><link rel=\"stylesheet\" href=\"/app.css\">"           \
    "<link rel=\"stylesheet\" href=\"/desk.css\">"                                   \
    "<script src=\"/desk.js\" defer></script></head>\n"

#define DESK_LANG "<a id=\"lang\" href=\"?lang=en\" lang=\"en\">English</a>"

#define LOGIN_FORM                                                                 \
    "<form id=\"login\" method=\"post\" action=\"/login\">"                         \
    "<input type=\"hidden\" name=\"lang\" id=\"login-lang\" value=\"nl\">"           \
    "<p><label for=\"member\" data-t=\"member\">Lid</label> "                       \
    "<input id=\"member\" name=\"member\" autocomplete=\"username\" required></p>"   \
    "<p><label for=\"password\" data-t=\"password\">Wachtwoord</label> "            \
    "<input id=\"password\" name=\"password\" type=\"password\" "                    \
    "autocomplete=\"current-password\" required></p>"                              \
    "<p><button id=\"login-button\" type=\"submit\" data-t=\"log_in\">Inloggen</button></p>" \
    "</form>"

#define LOGIN_PAGE(title, msg)                                                     \
    DESK_HEAD(title) "<body data-view=\"login\">\n<header><h1 data-t=\"title_login\">"  \
    "Beoordelingstafel: inloggen</h1><nav>" DESK_LANG "</nav></header>\n<main>" msg  \
    LOGIN_FORM "</main>\n</body></html>\n"

static const char page_login[] = LOGIN_PAGE("Inloggen - stemtel", "");
static const char page_login_failed[] = LOGIN_PAGE(
    "Inloggen - stemtel",
    "<p id=\"login-error\" class=\"bad\" data-t=\"login_failed\">Onjuiste naam of "
    "wachtwoord.</p>");
static const char page_login_limited[] = LOGIN_PAGE(
    "Inloggen - stemtel",
    "<p id=\"login-error\" class=\"bad\" data-t=\"login_limited\">Te veel mislukte "
    "pogingen: probeer het over een minuut opnieuw.</p>");

static const char page_desk[] =
    DESK_HEAD("Beoordelingstafel - stemtel")
    "<body data-view=\"desk\">\n"
    "<header><h1 data-t=\"title_desk\">Beoordelingstafel</h1>"
    "<p><span data-t=\"logged_in\">Ingelogd als</span> <strong id=\"who\"></strong></p>"
    "<nav><a href=\"/operator\" data-t=\"nav_operator\">Bediening</a> "
    "<a href=\"/reconcile\" data-t=\"nav_reconcile\">Vergelijking</a> " DESK_LANG
    "</nav><form id=\"logout\" method=\"post\" action=\"/logout\">"
    "<input type=\"hidden\" name=\"csrf\" id=\"logout-csrf\">"
    "<button type=\"submit\" data-t=\"log_out\">Uitloggen</button></form></header>\n"
    "<main class=\"desk\">\n"
    "<section id=\"left\"><h2 data-t=\"queue\">Te beoordelen</h2><p id=\"open\"></p>"
    "<table id=\"stations\"><thead><tr><th data-t=\"station\">Stembureau</th>"
    "<th data-t=\"open_n\" class=\"n\">Open</th></tr></thead><tbody></tbody></table>"
    "<table id=\"queue\"><thead><tr><th data-t=\"ballot\">Stembiljet</th>"
    "<th data-t=\"station\">Stembureau</th><th data-t=\"reason\">Reden</th>"
    "<th data-t=\"where\">Batch / plaats</th></tr></thead><tbody></tbody></table></section>\n"
    "<section id=\"ballot\" hidden><h2><span data-t=\"ballot\">Stembiljet</span> "
    "<span id=\"b-id\"></span></h2>"
    "<p><span data-t=\"paper\">Het papier ligt bij</span>: <strong id=\"b-where\"></strong></p>"
    "<p><span data-t=\"found\">Gevonden</span>: <span id=\"b-found\"></span></p>"
    "<p><span data-t=\"proposal\">Voorstel</span>: <strong id=\"b-proposal\"></strong></p>"
    "<p id=\"b-pending\" hidden><strong data-t=\"pending\">Wacht op tweede lid</strong>: "
    "<span id=\"b-pending-what\"></span> <button id=\"confirm\" type=\"button\" "
    "data-t=\"confirm\">Bevestigen</button> <span id=\"b-pending-own\" data-t=\"own\" hidden>"
    "een ander lid moet bevestigen</span></p>"
    "<div id=\"decide\"><p><label for=\"note\" data-t=\"note\">Toelichting</label> "
    "<input id=\"note\" size=\"40\"></p><p id=\"buttons\"></p>"
    "<p><label for=\"vote-list\" data-t=\"list\">Lijst</label> <select id=\"vote-list\"></select> "
    "<label for=\"vote-cand\" data-t=\"candidate\">Kandidaat</label> "
    "<input id=\"vote-cand\" type=\"number\" min=\"1\" value=\"1\"> "
    "<button id=\"vote\" type=\"button\" data-t=\"vote_for\">Stem voor deze kandidaat</button> "
    "<button id=\"vote-list-only\" type=\"button\" data-t=\"vote_list\">Alleen de lijst</button></p>"
    "<p id=\"decide-status\" role=\"status\"></p></div>"
    "<h3 data-t=\"zoom\">Vakjes met inkt, vergroot</h3><div id=\"zoom\"></div>"
    "<p><img id=\"page\" alt=\"\"></p>"
    "<h3 data-t=\"history\">Geschiedenis</h3><table id=\"history\"><thead><tr>"
    "<th data-t=\"at\">Wanneer</th><th data-t=\"by\">Wie</th><th data-t=\"what\">Wat</th>"
    "<th data-t=\"note\">Toelichting</th></tr></thead><tbody></tbody></table>"
    "<h3 data-t=\"boxes\">Vakjes</h3><p class=\"legend\"><span class=\"marked\" "
    "data-t=\"marked\">gevuld</span> <span class=\"marginal\" data-t=\"marginal\">twijfel</span> "
    "<span class=\"empty\" data-t=\"empty\">leeg</span></p><p id=\"boxes\"></p></section>\n"
    "</main>\n<footer><span id=\"status\" role=\"status\"></span></footer>\n</body></html>\n";

static const char desk_css[] =
    ".desk{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:2rem}\n"
    "#left{overflow-x:auto}body[data-view=desk]{max-width:none}\n"
    "#queue tbody tr{cursor:pointer}#queue tr.sel{background:#eef}\n"
    "#queue{font-size:.95rem}#queue th,#queue td{padding:.25em .4em}"
    "#queue td:last-child{white-space:nowrap}\n"
    "#queue tr.pending td:nth-child(3){color:var(--warn)}\n"
    "#b-pending{border-left:4px solid var(--warn);padding-left:.5em}\n"
    "#page{max-width:100%;border:1px solid var(--line)}\n"
    "#buttons button,#decide button{margin:.2em .3em .2em 0;padding:.4em .8em;font-size:1rem}\n"
    "button.accept{font-weight:bold}\n"
    "button kbd{font:inherit;font-size:.8em;border:1px solid var(--line);border-radius:3px;"
    "padding:0 .35em;margin-right:.5em;background:#f4f4f4}\n"
    ".marked{color:var(--ok)}.marginal{color:var(--warn)}.empty{color:#2060c0}\n"
    "#boxes span{margin-right:.6em}\n"
    "#zoom{display:flex;flex-wrap:wrap;gap:.8em}#zoom figure{margin:0;text-align:center}\n"
    "#zoom canvas{border:3px solid var(--ok);background:#fff}"
    "#zoom figure.marginal canvas{border-color:var(--warn)}\n"
    "#login input{font-size:1.1rem}\n";

static const char desk_js[] =
    "'use strict';\n"
    "(function () {\n"
    "var EN = {title_login:'Adjudication desk: log in', member:'Member', password:'Password',"
    " log_in:'Log in', login_failed:'Wrong name or password.', login_limited:"
    "'Too many failed attempts: try again in a minute.', title_desk:'Adjudication desk',"
    " logged_in:'Logged in as', nav_operator:'Operator', nav_reconcile:'Reconciliation',"
    " log_out:'Log out', queue:'To decide', station:'Station', open_n:'Open',"
    " ballot:'Ballot', reason:'Reason', where:'Batch / position', paper:'The paper lies at',"
    " found:'Found', proposal:'Proposal', note:'Note', list:'List', candidate:'Candidate',"
    " vote_for:'Vote for this candidate', vote_list:'List only', history:'History',"
    " at:'When', by:'Who', what:'What', boxes:'Boxes', marked:'marked', marginal:'in doubt',"
    " empty:'empty', accept:'Accept the proposal', blank:'Blank', invalid:'Invalid',"
    " void:'Set aside', batch:'batch', pos:'position', none:'nothing to decide',"
    " open:'{n} ballots to decide', decided:'decided', lost:'no connection to stemtel',"
    " nothing:'none', pending:'Waiting for a second member', confirm:'Confirm',"
    " own:'another member must confirm', proposed:'proposed', confirmed:'confirmed by',"
    " zoom:'Boxes with ink, enlarged', no_ink:'no box with ink'};\n"
    "var NL = {accept:'Voorstel overnemen', blank:'Blanco', invalid:'Ongeldig',"
    " review:'beoordelen', rejected:'afgewezen',"
    " void:'Terzijde', batch:'batch', pos:'plaats', none:'niets te beoordelen',"
    " open:'{n} stembiljetten te beoordelen', decided:'besloten', lost:"
    "'geen verbinding met stemtel', nothing:'geen', pending:'Wacht op tweede lid',"
    " proposed:'voorgesteld', confirmed:'bevestigd door', no_ink:'geen vakje met inkt'};\n"
    "var lang = /[?&]lang=en(&|$)/.test(location.search) ? 'en' : 'nl';\n"
    "function t(k) { return (lang === 'en' ? EN[k] : NL[k]) || k; }\n"
    "function el(tag, text, cls) { var e = document.createElement(tag);"
    " if (text !== undefined && text !== null) e.textContent = String(text);"
    " if (cls) e.className = cls; return e; }\n"
    "function row(cells) { var tr = el('tr'); cells.forEach(function (c) {"
    " tr.appendChild(typeof c === 'object' ? c : el('td', c)); }); return tr; }\n"
    "function fill(id, rows) { var tb = document.querySelector('#' + id + ' tbody');"
    " tb.replaceChildren.apply(tb, rows); }\n"
    "function $(id) { return document.getElementById(id); }\n"
    "function translate() {\n"
    " document.documentElement.lang = lang;\n"
    " if (lang === 'nl') return;\n"
    " document.querySelectorAll('[data-t]').forEach(function (e) {"
    " var v = EN[e.dataset.t]; if (v) e.textContent = v; });\n"
    " var a = $('lang'); a.textContent = 'Nederlands'; a.href = '?lang=nl'; a.lang = 'nl';\n"
    " document.querySelectorAll('nav a:not(#lang)').forEach(function (e) {"
    " e.href = e.getAttribute('href') + '?lang=en'; });\n"
    " if ($('login-lang')) $('login-lang').value = 'en';\n"
    "}\n"
    "var desk = null, current = null;\n"
    "function where(b) { return (b.station || '-') + ', ' + t('batch') + ' ' + b.batch + ', '"
    " + t('pos') + ' ' + b.position; }\n"
    "function reason(b) { return t(b.kind) + (b.reasons.length ? ' (' + b.reasons.join(', ') + ')'"
    " : ''); }\n"
    "function load() {\n"
    " return fetch('/api/desk', {cache: 'no-store'}).then(function (r) {\n"
    "  if (r.status === 401) { location.href = '/login' + location.search; throw 0; }\n"
    "  if (!r.ok) throw new Error(r.status); return r.json(); }).then(function (d) {\n"
    "  desk = d; $('who').textContent = d.member; $('logout-csrf').value = d.csrf;\n"
    "  $('open').textContent = d.queue.length ? t('open').replace('{n}', d.queue.length)"
    " : t('none');\n"
    "  fill('stations', d.stations.map(function (s) { return row([s.id, el('td', s.open, 'n')]);"
    " }));\n"
    "  fill('queue', d.queue.map(function (b) { var tr = row([el('td', b.id, 'n'),"
    " b.station || '-', (b.reasons.length ? b.reasons.join(', ') : t(b.kind)) +"
    " (b.pending ? ' \\u2014 ' + t('pending').toLowerCase() : ''),"
    " b.batch + ' / ' + b.position]); tr.id = 'q-' + b.id;"
    " tr.dataset.id = b.id; if (b.pending) tr.classList.add('pending');"
    " if (current && current.id === b.id) tr.classList.add('sel');"
    " tr.addEventListener('click', function () { show(b.id); }); return tr; }));\n"
    "  var ls = $('vote-list'); if (!ls.options.length) d.lists.forEach(function (l) {"
    " var o = el('option', l.number + '. ' + l.name); o.value = l.number; ls.appendChild(o); });\n"
    "  document.body.dataset.queue = d.queue.length;\n"
    "  document.body.dataset.loaded = (+(document.body.dataset.loaded || 0) + 1);\n"
    "  $('status').textContent = ''; });\n"
    "}\n"
    "function button(label, as, cls, key) { var b = el('button', null, cls); b.type = 'button';"
    " if (key) { b.appendChild(el('kbd', key === 'Enter' ? '\\u21b5' : key)); b.dataset.key = key; }"
    " b.appendChild(document.createTextNode(label));"
    " b.dataset.as = as; b.id = 'd-' + as.replace(/:/g, '-');"
    " b.addEventListener('click', function () { decide(as); }); return b; }\n"
    "var KEYS = '1234567890';\n"
    "function show(id) {\n"
    " return fetch('/api/ballot?id=' + id, {cache: 'no-store'}).then(function (r) {"
    " if (!r.ok) throw new Error(r.status); return r.json(); }).then(function (b) {\n"
    "  current = b; $('ballot').hidden = false; $('b-id').textContent = b.id;\n"
    "  $('b-where').textContent = where(b); $('b-found').textContent = reason(b) +"
    " (b.decided ? '; ' + t('decided') + ' ' + b.decision + ' (' + b.decided_by + ')' : '');\n"
    "  $('b-proposal').textContent = b.proposal || t('nothing');\n"
    "  var bs = []; if (b.proposal) bs.push(button(t('accept') + ': ' + b.proposal, b.proposal,"
    " 'accept', 'Enter'));\n"
    "  bs.push(button(t('blank'), 'blank', null, 'b'));\n"
    "  var fixed = desk.reasons.invalid.map(function (r) { return [t('invalid'), 'invalid:' + r]; })"
    ".concat(desk.reasons['void'].map(function (r) { return [t('void'), 'void:' + r]; }));\n"
    "  fixed.forEach(function (f, i) { bs.push(button(f[0] + ': ' + f[1].split(':')[1], f[1], null,"
    " KEYS[i])); });\n"
    "  $('buttons').replaceChildren.apply($('buttons'), bs);\n"
    "  var p = b.pending; $('b-pending').hidden = !p;\n"
    "  if (p) { $('b-pending-what').textContent = p.as + ' (' + p.by + ', ' + p.at + ')';"
    " $('confirm').disabled = p.by === desk.member; $('b-pending-own').hidden ="
    " p.by !== desk.member; }\n"
    "  fill('history', b.history.map(function (h) { var w = h.what.indexOf('proposed:') === 0 ?"
    " t('proposed') + ' ' + h.what.slice(9) : h.what; if (h.confirmed_by) w += ', ' +"
    " t('confirmed') + ' ' + h.confirmed_by + ' (' + h.confirmed_at + ')';"
    " return row([h.at, h.by, w, h.note || '']); }));\n"
    "  $('boxes').replaceChildren.apply($('boxes'), b.boxes.filter(function (x) {"
    " return x.state !== 'empty'; }).map(function (x) { return el('span', x.id + ' ' +"
    " x.score, x.state); }));\n"
    "  $('zoom').replaceChildren(); document.body.dataset.zoomed = '';\n"
    "  if (b.drawable) { $('page').src = '/page.png?id=' + b.id; $('page').hidden = false; }"
    " else $('page').hidden = true;\n"
    "  document.querySelectorAll('#queue tr').forEach(function (tr) {"
    " tr.classList.toggle('sel', +tr.dataset.id === b.id); });\n"
    "  $('decide-status').textContent = ''; document.body.dataset.selected = b.id; });\n"
    "}\n"
    "function zoom() {\n"
    " var img = $('page'), b = current; if (!b || !img.naturalWidth ||"
    " img.src.indexOf('id=' + b.id) < 0) return;\n"
    " var figs = b.areas.map(function (a) { var c = el('canvas'), f = el('figure', null, a.state);"
    " var sw = a.w * img.naturalWidth, sh = a.h * img.naturalHeight, k = Math.min(4, 220 / sw);"
    " c.width = Math.round(sw * k); c.height = Math.round(sh * k); c.id = 'z-' + a.id;"
    " var g = c.getContext('2d'); g.imageSmoothingEnabled = true;"
    " g.drawImage(img, a.x * img.naturalWidth, a.y * img.naturalHeight, sw, sh, 0, 0,"
    " c.width, c.height); f.appendChild(c); f.appendChild(el('figcaption', a.id + ' ' +"
    " a.score)); return f; });\n"
    " if (!figs.length) figs = [el('p', t('no_ink'))];\n"
    " $('zoom').replaceChildren.apply($('zoom'), figs); document.body.dataset.zoomed = b.id;\n"
    "}\n"
    "function decide(as) { return change('/decide', {csrf: desk.csrf, id: current.id, as: as,"
    " note: $('note').value}); }\n"
    "function confirm_it() { return change('/confirm', {csrf: desk.csrf, id: current.id}); }\n"
    "function waits_for_me(q) { return !q.pending || q.pending.by !== desk.member; }\n"
    "var busy = false;\n"
    "function change(url, params) {\n"
    " var body = new URLSearchParams(params); busy = true;\n"
    " return fetch(url, {method: 'POST', body: body, cache: 'no-store'}).then(function (r) {"
    " return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status);"
    " return j; }); }).then(function () {\n"
    "  var done = current.id; $('note').value = '';\n"
    "  document.body.dataset.decided = (+(document.body.dataset.decided || 0) + 1);\n"
    "  return load().then(function () { var next = desk.queue.filter(function (q) {"
    " return q.id !== done && waits_for_me(q); })[0]; if (next) return show(next.id);"
    " $('ballot').hidden = true; current = null; }); })\n"
    " .catch(function (e) { $('decide-status').textContent = String(e.message || e);"
    " $('decide-status').className = 'bad'; }).then(function () { busy = false; });\n"
    "}\n"
    "function start() {\n"
    " translate();\n"
    " if (document.body.dataset.view !== 'desk') return;\n"
    " $('confirm').addEventListener('click', confirm_it);\n"
    " $('page').addEventListener('load', zoom);\n"
    " $('vote').addEventListener('click', function () { decide('candidate:' +"
    " $('vote-list').value + ':' + $('vote-cand').value); });\n"
    " $('vote-list-only').addEventListener('click', function () { decide('list:' +"
    " $('vote-list').value); });\n"
    " document.addEventListener('keydown', function (e) {"
    " if (!current || /^(INPUT|SELECT|BUTTON|TEXTAREA)$/.test(e.target.tagName)) return;"
    " if (busy || e.ctrlKey || e.altKey || e.metaKey) return;"
    " var k = Array.prototype.filter.call($('buttons').querySelectorAll('button'), function (x) {"
    " return x.dataset.key === e.key; })[0]; if (k) { e.preventDefault(); decide(k.dataset.as); } });\n"
    " var poll = function () { load().catch(function (e) { if (e) { $('status').textContent ="
    " t('lost'); $('status').className = 'bad'; } }).then(function () {"
    " if (!current && desk && desk.queue.length) show(desk.queue[0].id);"
    " setTimeout(poll, 2000); }); };\n"
    " poll();\n"
    "}\n"
    "start();\n"
    "})();\n";

static const st_serve_page pages[] = {
    {"/login", "text/html; charset=utf-8", page_login, 0},
    {"/login-failed", "text/html; charset=utf-8", page_login_failed, 0},
    {"/login-limited", "text/html; charset=utf-8", page_login_limited, 0},
    {"/desk", "text/html; charset=utf-8", page_desk, 0},
    {"/desk.css", "text/css; charset=utf-8", desk_css, 0},
    {"/desk.js", "text/javascript; charset=utf-8", desk_js, 0},
};

const st_serve_page *st_desk_page_find(const char *path)
{
    return st_serve_page_in(pages, sizeof pages / sizeof pages[0], path);
}
