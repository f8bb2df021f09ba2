/* serve_pages.c - the files `stemtel serve` answers with, compiled in
 *
 * Three small HTML pages share one style sheet and one script. The pages
 * carry their Dutch text, so they read without the script; the script
 * (app.js) polls the view's JSON every second, fills the tables with
 * textContent only (what comes from the store is never parsed as HTML)
 * and puts every label in English when the address has ?lang=en. The
 * reconciliation's export is a plain form (POST /export, the file comes
 * back as a download); the script only fills in the session's CSRF token
 * from /api/me and enables the button when nothing blocks. No
 * inline script or style: the Content-Security-Policy allows only files
 * of this origin.
 */
#include "app/serve_pages.h"

#include <string.h>

#define HEAD(title)                                                                \
    "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">"              \
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"        \
    "<title>" title "</title><link rel=\"stylesheet\" href=\"/app.css\">"           \
    "<script src=\"/app.js\" defer></script></head>\n"

#define LANG_SWITCH "<a id=\"lang\" href=\"?lang=en\" lang=\"en\">English</a>"

#define NAV                                                                        \
    "<nav><a href=\"/operator\" data-t=\"nav_operator\">Bediening</a> "            \
    "<a href=\"/reconcile\" data-t=\"nav_reconcile\">Vergelijking</a> "            \
    "<a href=\"/\" data-t=\"nav_public\">Publieksscherm</a> " LANG_SWITCH "</nav>"

#define FOOT                                                                       \
    "<footer><span data-t=\"updated\">Bijgewerkt</span> <span id=\"updated\">-</span> " \
    "<span id=\"status\" role=\"status\"></span></footer>\n</body></html>\n"

static const char page_public[] =
    HEAD("Centrale stemopneming")
    "<body data-view=\"public\" class=\"public\">\n"
    "<header><h1 data-t=\"title_public\">Centrale stemopneming</h1>"
    "<p id=\"election\"></p><nav>" LANG_SWITCH "</nav></header>\n<main>\n"
    "<section><h2 data-t=\"stations\">Stembureaus</h2><table id=\"stations\"><thead><tr>"
    "<th data-t=\"station\">Stembureau</th><th data-t=\"state\">Stand</th>"
    "<th data-t=\"counted\" class=\"n\">Geteld</th><th data-t=\"review\" class=\"n\">In beoordeling</th>"
    "<th data-t=\"rejected\" class=\"n\">Afgewezen</th></tr></thead><tbody></tbody></table></section>\n"
    "<section><h2 data-t=\"totals\">Totaal van de gemeente</h2><table id=\"lists\"><thead><tr>"
    "<th data-t=\"list\">Lijst</th><th data-t=\"votes\" class=\"n\">Stemmen</th></tr></thead>"
    "<tbody></tbody></table><p id=\"sum\"></p></section>\n"
    "<section><h2 data-t=\"per_station\">Per stembureau: onze telling naast de basistelling</h2>"
    "<p data-t=\"per_station_note\">Zodra een stembureau sluitend is.</p>"
    "<div id=\"basis\"></div></section>\n</main>\n" FOOT;

static const char page_operator[] =
    HEAD("Bediening - stemtel")
    "<body data-view=\"operator\">\n"
    "<header><h1 data-t=\"title_operator\">Bediening</h1><p id=\"election\"></p>" NAV
    "</header>\n<main>\n"
    "<section><h2 data-t=\"sources\">Scanners en mappen</h2><table id=\"sources\"><thead><tr>"
    "<th data-t=\"source\">Bron</th><th data-t=\"state\">Stand</th>"
    "<th data-t=\"station\">Stembureau</th><th data-t=\"batch\" class=\"n\">Batch</th>"
    "<th data-t=\"pages\" class=\"n\">Pagina's</th>"
    "<th data-t=\"pace\" class=\"n\">Pagina's/s</th><th data-t=\"last\">Laatste pagina</th>"
    "</tr></thead><tbody></tbody></table></section>\n"
    "<section><h2 data-t=\"stations\">Stembureaus</h2><table id=\"stations\"><thead><tr>"
    "<th data-t=\"station\">Stembureau</th><th data-t=\"state\">Stand</th>"
    "<th data-t=\"pages\" class=\"n\">Pagina's</th><th data-t=\"counted\" class=\"n\">Geteld</th>"
    "<th data-t=\"open_review\" class=\"n\">Te beoordelen</th>"
    "<th data-t=\"open_rejected\" class=\"n\">Afgewezen, open</th>"
    "<th data-t=\"voided\" class=\"n\">Terzijde</th></tr></thead><tbody></tbody></table>"
    "<p id=\"sum\"></p></section>\n"
    "<section><h2 data-t=\"warnings\">Waarschuwingen</h2><p id=\"warn-total\"></p>"
    "<table id=\"warnings\"><thead><tr><th data-t=\"ballot\">Stembiljet</th>"
    "<th data-t=\"station\">Stembureau</th><th data-t=\"what\">Wat</th>"
    "<th data-t=\"file\">Bestand</th></tr></thead><tbody></tbody></table></section>\n"
    "<section><h2 data-t=\"recent\">Laatst geteld</h2><table id=\"recent\"><thead><tr>"
    "<th data-t=\"ballot\">Stembiljet</th><th data-t=\"station\">Stembureau</th>"
    "<th data-t=\"outcome\">Uitkomst</th><th data-t=\"file\">Bestand</th></tr></thead>"
    "<tbody></tbody></table></section>\n"
    "<section><h2 data-t=\"blocks\">Wat een uitslag nog tegenhoudt</h2><ul id=\"blocks\"></ul>"
    "</section>\n</main>\n" FOOT;

static const char page_reconcile[] =
    HEAD("Vergelijking - stemtel")
    "<body data-view=\"reconcile\">\n"
    "<header><h1 data-t=\"title_reconcile\">Vergelijking met de basistelling</h1>"
    "<p id=\"final\"></p>" NAV "</header>\n<main>\n"
    "<section><h2 data-t=\"blocks\">Wat een uitslag nog tegenhoudt</h2><ul id=\"blocks\"></ul>"
    "<form id=\"export\" method=\"post\" action=\"/export\"><input type=\"hidden\" name=\"csrf\" "
    "id=\"csrf\" value=\"\"><button id=\"export-button\" type=\"submit\" disabled "
    "data-t=\"export\">Uitslag exporteren (EML 510b)</button> <span id=\"export-why\"></span> "
    "<a id=\"export-login\" href=\"/login\" hidden data-t=\"login\">Inloggen</a></form>"
    "</section>\n<div id=\"recon\"></div>\n</main>\n" FOOT;

static const char app_css[] =
    ":root{--fg:#111;--bg:#fff;--mute:#555;--line:#ccc;--ok:#0a6b2d;--warn:#9a4b00;--bad:#a3001b}\n"
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;color:var(--fg);background:var(--bg);"
    "margin:0 auto;padding:1rem 2rem;max-width:80rem}\n"
    "header{display:flex;flex-wrap:wrap;align-items:baseline;gap:1rem 2rem}\n"
    "h1{margin:.2em 0}h2{margin:1.2em 0 .4em}nav a{margin-right:1em}\n"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .6em;"
    "border-bottom:1px solid var(--line)}.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".public{font-size:1.6rem;max-width:none}.public h1{font-size:2.6rem}\n"
    ".state-reconciled{color:var(--ok)}.state-differences,.bad{color:var(--bad)}"
    ".state-in_review,.warn{color:var(--warn)}\n"
    "footer{margin-top:2rem;color:var(--mute);font-size:.9rem}#status.bad{font-weight:bold}\n"
    ".station{border-top:2px solid var(--line);margin-top:1.5rem}\n"
    "#export{margin-top:1rem}#export button{font-size:1.1rem;padding:.4em 1em}\n"
    "#basis h3{margin:1em 0 .3em}\n"
    "@media print{nav,footer{display:none}}\n";

static const char app_js[] =
    "'use strict';\n"
    "(function () {\n"
    "var T = {\n"
    " nl: {not_started:'nog niet begonnen', in_review:'in beoordeling',"
    " waiting_for_basistelling:'wacht op basistelling', differences:'verschillen',"
    " reconciled:'sluitend', not_listed:'niet op de lijst',"
    " vote:'stem', blank:'blanco', invalid:'ongeldig', review:'beoordelen',"
    " rejected:'afgewezen', void:'terzijde', possible_rescan:'mogelijk dubbel gescand',"
    " decided:'besloten', lost:'geen verbinding met stemtel', none:'niets',"
    " sum:'Geldig {E}, blanco {F}, ongeldig {G}, totaal {H}; in beoordeling {review}, afgewezen {rejected}',"
    " of:'van', final:'Alles sluit: de uitslag kan worden vastgesteld.',"
    " notfinal:'Nog geen definitieve uitslag.', basis:'basistelling', ours:'onze telling',"
    " difference:'verschil', checks:'Controles', lists_differing:'Lijsten die verschillen',"
    " warn_total:'{n} in totaal', no_basis:'geen basistelling', list:'Lijst',"
    " waiting:'wacht op pagina\\'s', counting:'telt', idle:'stil sinds {s} s',"
    " source_stopped:'bron gestopt', quiet:'geen pagina sinds {s} s',"
    " export_blocked:'Kan pas als niets de uitslag meer tegenhoudt.',"
    " export_login:'Alleen een ingelogd lid kan exporteren.',"
    " export_no_schema:'Het schema van de Kiesraad ontbreekt (STEMTEL_XSD_DIR).',"
    " export_ready:'De EML 510b wordt gedownload zoals stemtel export eml hem schrijft.'},\n"
    " en: {title_public:'Central count', title_operator:'Operator', title_reconcile:"
    "'Reconciliation with the polling stations', nav_operator:'Operator', nav_reconcile:"
    "'Reconciliation', nav_public:'Public display', stations:'Polling stations',"
    " station:'Station', state:'State', counted:'Counted', review:'In review',"
    " rejected:'Rejected', totals:'Municipality total', list:'List', votes:'Votes',"
    " updated:'Updated', pages:'Pages', open_review:'To review', open_rejected:"
    "'Rejected, open', voided:'Set aside', warnings:'Warnings', ballot:'Ballot', what:'What',"
    " file:'File', recent:'Counted last', outcome:'Outcome', blocks:"
    "'What still blocks a result',"
    " not_started:'not started', in_review:'in review', waiting_for_basistelling:"
    "'waiting for the station count', differences:'differences', reconciled:'reconciled',"
    " not_listed:'not on the list', vote:'vote', blank:'blank', invalid:'invalid',"
    " rejected_o:'rejected', void:'set aside', possible_rescan:'possible rescan',"
    " decided:'decided', lost:'no connection to stemtel', none:'nothing',"
    " sum:'Valid {E}, blank {F}, invalid {G}, total {H}; in review {review}, rejected {rejected}',"
    " of:'of', final:'Everything agrees: the result can be established.',"
    " notfinal:'No final result yet.', basis:'station count', ours:'our count',"
    " difference:'difference', checks:'Checks', lists_differing:'Lists that differ',"
    " warn_total:'{n} in all', no_basis:'no station count',"
    " per_station:'Per polling station: our count beside the station count',"
    " per_station_note:'Once a station is reconciled.',"
    " sources:'Scanners and folders', source:'Source', batch:'Batch', pace:'Pages/s',"
    " last:'Last page', waiting:'waiting for pages', counting:'counting',"
    " idle:'idle for {s} s', source_stopped:'source stopped', quiet:'no page for {s} s',"
    " export:'Export the result (EML 510b)', login:'Log in',"
    " export_blocked:'Only once nothing blocks the result.',"
    " export_login:'Only a logged-in member can export.',"
    " export_no_schema:'The Kiesraad schema is missing (STEMTEL_XSD_DIR).',"
    " export_ready:'Downloads the EML 510b as stemtel export eml writes it.'}\n"
    "};\n"
    "var lang = /[?&]lang=en(&|$)/.test(location.search) ? 'en' : 'nl';\n"
    "function t(k) { var v = T[lang][k]; if (v === undefined && k === 'rejected' && lang === 'en')"
    " v = T.en.rejected_o; return v === undefined ? (T.nl[k] || k) : v; }\n"
    "function fmt(k, o) { return t(k).replace(/\\{(\\w+)\\}/g, function (m, x) {"
    " return String(o[x]); }); }\n"
    "function el(tag, text, cls) { var e = document.createElement(tag);"
    " if (text !== undefined && text !== null) e.textContent = String(text);"
    " if (cls) e.className = cls; return e; }\n"
    "function row(cells) { var tr = el('tr'); cells.forEach(function (c) {"
    " tr.appendChild(typeof c === 'object' ? c : el('td', c)); }); return tr; }\n"
    "function num(v) { return el('td', v, 'n'); }\n"
    "function fill(id, rows) { var tb = document.querySelector('#' + id + ' tbody')"
    " || document.getElementById(id); tb.replaceChildren.apply(tb, rows); }\n"
    "function stname(s) { return s.name ? s.id + ' ' + s.name : s.id; }\n"
    "function state(s) { return el('td', t(s), 'state-' + s); }\n"
    "function outcome(p) { var w = t(p.outcome); if (p.reasons && p.reasons.length)"
    " w += ' (' + p.reasons.join(', ') + ')'; if (p.decided) w += ', ' + t('decided');"
    " return w; }\n"
    "function sum(x) { return fmt('sum', x); }\n"
    "var views = {\n"
    " public: function (d) {\n"
    "  document.getElementById('election').textContent = d.election.name + ' \\u2013 ' +"
    " d.election.municipality;\n"
    "  fill('stations', d.stations.map(function (s) { return row([stname(s), state(s.state),"
    " num(s.counted), num(s.review), num(s.rejected)]); }));\n"
    "  fill('lists', d.totals.lists.map(function (l) { return row([l.number + '. ' + l.name,"
    " num(l.total)]); }));\n"
    "  document.getElementById('sum').textContent = sum(d.totals);\n"
    "  var box = document.getElementById('basis');\n"
    "  box.replaceChildren.apply(box, d.stations.filter(function (s) { return s.lists; })"
    ".map(function (s) {\n"
    "   var sec = el('section'); sec.appendChild(el('h3', stname(s)));\n"
    "   var tb = el('table'); tb.appendChild(row([el('th', t('list')), el('th', t('ours'), 'n'),"
    " el('th', t('basis'), 'n')]));\n"
    "   s.lists.forEach(function (l) { tb.appendChild(row([l.number + '. ' + l.name,"
    " num(l.votes), num(l.basis)])); });\n"
    "   sec.appendChild(tb); return sec; }));\n"
    "  document.body.dataset.h = d.totals.H;\n"
    "  document.body.dataset.pages = d.stations.reduce(function (a, s) {"
    " return a + s.pages; }, 0);\n"
    " },\n"
    " operator: function (d) {\n"
    "  document.getElementById('election').textContent = d.election.name;\n"
    "  fill('stations', d.stations.map(function (s) { return row([stname(s), state(s.state),"
    " num(s.pages), num(s.counted), num(s.open_review), num(s.open_rejected),"
    " num(s.voided)]); }));\n"
    "  document.getElementById('sum').textContent = sum(d.totals);\n"
    "  fill('sources', d.sources.map(function (x) { var st = x.state === 'idle' ?"
    " fmt('idle', {s: x.idle_s}) : t(x.state);"
    " return row([el('td', x.name + ' (' + x.input + ')'), el('td', st, 'src-' + x.state),"
    " x.station || '-', num(x.batch || '-'), num(x.pages), num(x.pages_per_s),"
    " x.last_id ? x.last_file + ':' + x.last_page + ' (' + x.last_id + ')' : '-']); }));\n"
    "  fill('warnings', d.warnings.slice().reverse().map(function (w) {"
    " if (w.kind === 'source_stopped') return row(['-', w.station || '-', el('td',"
    " t(w.kind) + ': ' + w.source + ', ' + fmt('quiet', {s: w.idle_s}), 'warn'), '-']);"
    " var what = t(w.kind) + (w.reason ? ' (' + w.reason + ')' : '') + (w.rescan_of ?"
    " ' \\u2192 ' + w.rescan_of + ' (' + w.similarity + ')' : '');"
    " return row([num(w.id), w.station || '-', el('td', what, 'warn'), w.file + ':' + w.page]);"
    " }));\n"
    "  document.getElementById('warn-total').textContent = fmt('warn_total', {n: d.warnings_total});\n"
    "  fill('recent', d.recent.slice().reverse().map(function (p) { return row([num(p.id),"
    " p.station || '-', outcome(p), p.file + ':' + p.page]); }));\n"
    "  blocks(d);\n"
    "  document.body.dataset.pages = d.pages;\n"
    " },\n"
    " reconcile: function (d) {\n"
    "  document.getElementById('final').textContent = t(d.final ? 'final' : 'notfinal');\n"
    "  blocks(d);\n"
    "  exporting(d);\n"
    "  var box = document.getElementById('recon');\n"
    "  box.replaceChildren.apply(box, d.stations.map(function (s) {\n"
    "   var sec = el('section', null, 'station');\n"
    "   var h = el('h2', (s.name ? s.station + ' ' + s.name : s.station) + ' \\u2013 '); h.appendChild(el('span', t(s.state),"
    " 'state-' + s.state)); sec.appendChild(h);\n"
    "   var o = s['new'] || {}, b = s.basistelling;\n"
    "   var tb = el('table'); tb.appendChild(row([el('th', ''), el('th', t('ours'), 'n'),"
    " el('th', t('basis'), 'n')]));\n"
    "   ['E', 'F', 'G', 'H'].forEach(function (k) { tb.appendChild(row([k, num(o[k]),"
    " num(b ? b[k] : '-')])); });\n"
    "   sec.appendChild(tb);\n"
    "   if (!b) sec.appendChild(el('p', t('no_basis'), 'warn'));\n"
    "   if (s.lists_differing && s.lists_differing.length) { sec.appendChild(el('h3',"
    " t('lists_differing')));\n"
    "    var lt = el('table'); lt.appendChild(row([el('th', t('list')), el('th', t('basis'), 'n'),"
    " el('th', t('ours'), 'n'), el('th', t('difference'), 'n')]));\n"
    "    s.lists_differing.forEach(function (x) { lt.appendChild(row([x.list, num(x.station),"
    " num(x.ours), num(x.difference)])); }); sec.appendChild(lt); }\n"
    "   if (s.checks && s.checks.length) { sec.appendChild(el('h3', t('checks')));"
    " var ul = el('ul'); s.checks.forEach(function (c) { ul.appendChild(el('li', c.code +"
    " ': ' + c.text, c.code[0] === 'F' ? 'bad' : 'warn')); }); sec.appendChild(ul); }\n"
    "   return sec; }));\n"
    "  document.body.dataset.pages = d.stations.length;\n"
    " }\n"
    "};\n"
    "function blocks(d) { var v = lang === 'nl' && d.blocks_nl ? d.blocks_nl : d.blocks;"
    " fill('blocks', v.length ? v.map(function (b) { return el('li', b); })"
    " : [el('li', t('none'))]); }\n"
    "function exporting(d) {\n"
    " var b = document.getElementById('export-button'), why = document.getElementById('export-why'),"
    " login = document.getElementById('export-login');\n"
    " fetch('/api/me', {cache: 'no-store'}).then(function (r) { return r.ok ? r.json() : null; })"
    ".catch(function () { return null; })\n"
    " .then(function (me) { document.getElementById('csrf').value = me ? me.csrf : '';\n"
    "  var k = !d.final ? 'export_blocked' : !me ? 'export_login' : !me.can_export ?"
    " 'export_no_schema' : 'export_ready';\n"
    "  b.disabled = k !== 'export_ready'; why.textContent = t(k); login.hidden = !!me;"
    " document.body.dataset.export = b.disabled ? 'disabled' : 'enabled'; });\n"
    "}\n"
    "function translate() {\n"
    " document.documentElement.lang = lang;\n"
    " if (lang === 'nl') return;\n"
    " document.querySelectorAll('[data-t]').forEach(function (e) {"
    " var v = T.en[e.dataset.t]; if (v) e.textContent = v; });\n"
    " document.title = T.en['title_' + document.body.dataset.view] || document.title;\n"
    " var a = document.getElementById('lang'); a.textContent = 'Nederlands';"
    " a.href = '?lang=nl'; a.lang = 'nl';\n"
    " document.querySelectorAll('nav a:not(#lang)').forEach(function (e) {"
    " e.href = e.getAttribute('href') + '?lang=en'; });\n"
    "}\n"
    "function poll() {\n"
    " var view = document.body.dataset.view, st = document.getElementById('status');\n"
    " fetch('/api/' + view, {cache: 'no-store'}).then(function (r) {\n"
    "  if (!r.ok) throw new Error(r.status); return r.json(); })\n"
    " .then(function (d) { views[view](d); st.textContent = ''; st.className = '';\n"
    "  document.getElementById('updated').textContent = new Date().toLocaleTimeString(lang);\n"
    "  document.body.dataset.loaded = (+(document.body.dataset.loaded || 0) + 1); })\n"
    " .catch(function () { st.textContent = t('lost'); st.className = 'bad'; })\n"
    " .then(function () { setTimeout(poll, 1000); });\n"
    "}\n"
    "translate();\n"
    "poll();\n"
    "})();\n";

static const st_serve_page pages[] = {
    {"/", "text/html; charset=utf-8", page_public, 1},
    {"/app.css", "text/css; charset=utf-8", app_css, 1},
    {"/app.js", "text/javascript; charset=utf-8", app_js, 1},
    {"/operator", "text/html; charset=utf-8", page_operator, 0},
    {"/reconcile", "text/html; charset=utf-8", page_reconcile, 0},
};

const st_serve_page *st_serve_page_in(const st_serve_page *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].path, path))
            return &v[i];
    return NULL;
}

const st_serve_page *st_serve_page_find(const char *path)
{
    return st_serve_page_in(pages, sizeof pages / sizeof pages[0], path);
}
