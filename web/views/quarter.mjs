// quarter.mjs: the arbetsgrupp's quarter (#/kvartal/2026-Q2) — the quarterly
// report on screen: the lots function's and each unit's figures, the report's
// charts and the trend over eight quarters, what changed, the improvement
// actions, and the report to download as HTML and CSV.
//
// One request: GET /reports/quarterly?format=json, the document the HTML and CSV
// reports are rendered from (snapshot, eight-quarter trends, improvement actions,
// changes), so the screen and the report cannot disagree. Every role may read it
// (aggregates, no personal data); a handler starts on their own units' figures.
// A 404 not_computed says "Inga indikatorer beräknade för kvartalet ännu".
//
// The downloads need the bearer token, which a plain link cannot carry, so the
// buttons fetch the report and hand the browser a file (a Blob) to save; the HTML
// file opens in any browser and keeps the report's own stylesheet.

import {h, append, clear, table, announce, newId} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {chart} from '../lib/chart.mjs';
import {unitName} from '../lib/ref.mjs';
import {IMPROVEMENT_STATUS, QUESTION_NAMES, LOTS, errorText, label, num, pct, today, quarterOf,
    quartersBack, when} from '../lib/sv.mjs';

// The snapshot's publishing threshold (docs/indicators.md, "Suppression"): a
// suppressed figure on at least this many answers is hidden to protect another
// (secondary suppression), not for too few answers. Set by render, as the report does.
let minAnswers = 7;
function suppressed(x) {
    return x.n >= minAnswers ? 'dold, så att en annan dold uppgift inte kan räknas fram'
        : `för få svar (n = ${x.n})`;
}

function index(x) {
    if (!x) return '–';
    if (x.suppressed) return suppressed(x);
    if (x.index === null || x.index === undefined) return '–';
    const ci = x.ci95 ? ` (${num(x.ci95[0], 1)}–${num(x.ci95[1], 1)})` : '';
    return `${num(x.index, 1)}${ci}, n = ${x.n}`;
}
function share(x) {
    if (!x) return '–';
    if (x.suppressed) return suppressed(x);
    return x.value === null || x.value === undefined ? '–' : `${pct(x.value)}, n = ${x.n}`;
}
// "a, b och c"
function listed(xs) {
    return xs.length > 1 ? `${xs.slice(0, -1).join(', ')} och ${xs[xs.length - 1]}` : xs.join('');
}
// A trend point of an index: {v, lo, hi} or null (missing or suppressed).
function ixPoint(x) {
    return x && !x.suppressed && x.index !== null && x.index !== undefined
        ? {v: x.index, lo: x.ci95 ? x.ci95[0] : null, hi: x.ci95 ? x.ci95[1] : null} : null;
}
function valPoint(v, scale) {
    return v === null || v === undefined ? null : {v: v * (scale || 1)};
}

function cards(l) {
    const f = l.followups || {};
    const card = (n, text) => h('div', {class: 'card'}, h('span', {class: 'n'}, n), text);
    return h('div', {class: 'cards'},
        card(num(l.companies_guided), `företag lotsade (${num(l.companies_guided_ytd)} hittills i år)`),
        card(`${num(l.cases_opened)} / ${num(l.cases_closed)}`, 'ärenden öppnade / avslutade'),
        card(num(f.done), `uppföljningssamtal genomförda av ${num(f.due)}`),
        card(pct(f.response_rate), 'svarsfrekvens'),
        card(l.easy_contact && !l.easy_contact.suppressed ? pct(l.easy_contact.value) : '–', 'tyckte det var enkelt att nå rätt person'));
}

function lotsSection(doc) {
    const l = (doc.indicators && doc.indicators.lots) || {};
    const f = l.followups || {};
    const rows = [
        ['Företag som fått hjälp', num(l.companies_guided)], ['Företag hittills i år', num(l.companies_guided_ytd)],
        ['Ärenden öppnade', num(l.cases_opened)], ['Ärenden avslutade', num(l.cases_closed)],
        ['Kontakter', Object.values(l.contacts || {}).reduce((a, b) => a + b, 0).toLocaleString('sv-SE')],
        ['Uppföljningar att ringa', num(f.due)], ['Genomförda uppföljningar', num(f.done)],
        ['Svarsfrekvens', pct(f.response_rate)], ['Enkelt att nå rätt person (andel ja)', share(l.easy_contact)],
    ];
    for (const [k, v] of Object.entries(l.questions || {})) rows.push([`Index: ${QUESTION_NAMES[k] || k}`, index(v)]);
    const t = doc.trends.lots;
    const qs = doc.quarters;
    return h('section', {'aria-labelledby': 'il-h'}, h('h2', {id: 'il-h'}, LOTS),
        cards(l),
        table(null, ['Indikator', 'Värde'], rows),
        h('h3', null, 'Över åtta kvartal'),
        h('div', {class: 'charts'},
            chart({title: 'Företag som fått hjälp per kvartal', quarters: qs, bars: true, digits: 0,
                points: t.map(p => valPoint(p.companies_guided))}),
            chart({title: 'Kontakt med rätt person, index med 95 % konfidensintervall', quarters: qs, max: 100,
                points: t.map(p => ixPoint(p.reached_right_person))}),
            chart({title: 'Nytta av lotsen, index med 95 % konfidensintervall', quarters: qs, max: 100,
                points: t.map(p => ixPoint(p.usefulness))}),
            chart({title: 'Svarsfrekvens, procent', quarters: qs, max: 100, bars: true, digits: 0, unit: ' %',
                points: t.map(p => valPoint(p.response_rate, 100))})),
        h('h3', null, 'Trend, kvartal för kvartal'),
        table(null, ['Kvartal', 'Företag lotsade', 'Svarsfrekvens', 'Kontakt med rätt person', 'Nytta av lotsen', 'Enkelt att nå rätt person'],
            t.slice().reverse().map(p => (p.available ? [p.quarter, num(p.companies_guided), pct(p.response_rate),
                index(p.reached_right_person), index(p.usefulness), share(p.easy_contact)]
                : [p.quarter, 'inte beräknat', '–', '–', '–', '–']))));
}

// The units' table (the handler's own units first, or all, or one), and the charts
// over eight quarters of one unit at a time (the report has them all, for print).
function unitsSection(doc, ctx) {
    const snap = (doc.indicators && doc.indicators.units) || {};
    // SKR's total NKI beside the units, on a row of its own as in the report.
    const total = doc.indicators && doc.indicators.total;
    const mine = ctx.user.role === 'handler' ? ctx.user.units || [] : [];
    const pick = h('select', {id: newId('units')},
        mine.length ? h('option', {value: 'mine'}, `Mina enheter (${mine.map(unitName).join(', ')})`) : null,
        h('option', {value: 'all'}, 'Alla enheter'),
        doc.units.map(u => h('option', {value: u.code}, u.name)));
    const tbl = h('div');
    const drawTable = () => {
        const v = pick.value;
        const shown = doc.units.filter(u => v === 'all' || (v === 'mine' ? mine.includes(u.code) : u.code === v));
        clear(tbl);
        append(tbl, table(null, ['Enhet', 'Överlämningar', 'Mottagna inom 2 arbetsdagar', 'Handläggningstid', 'Försenade',
            'Svarsfrekvens', 'NKI/NUI', 'Tydlig och rättssäker (ja)'], shown.map(u => {
            const s = snap[u.code] || {};
            const d = s.decision_working_days || {};
            return [u.name, num(s.handoffs), share(s.acknowledged_in_time),
                d.n ? `${d.median} / ${d.p90} (n = ${d.n})` : '–', num(s.overdue),
                pct(s.followups ? s.followups.response_rate : null),
                s.nki ? [`${s.nki.label || u.label || 'NKI'} `, index(s.nki), s.nki.grade ? ` – ${s.nki.grade}` : ''] : '–',
                share(s.clear_and_lawful)];
        }).concat(total ? [{class: 'total', cells: ['Totalt', '–', '–', '–', '–', '–',
            ['NKI totalt ', index(total.nki), total.nki && total.nki.grade ? ` – ${total.nki.grade}` : ''],
            share(total.clear_and_lawful)]}] : [])));
    };
    const which = h('select', {id: newId('chart-unit')}, doc.units.map(u =>
        h('option', {value: u.code, selected: mine.length ? u.code === mine[0] : false}, u.name)));
    const charts = h('div');
    const drawCharts = () => {
        const u = doc.units.find(x => x.code === which.value) || doc.units[0];
        const t = (u && doc.trends.units[u.code]) || [];
        clear(charts);
        if (!u) return;
        append(charts, h('div', {class: 'charts'},
            chart({title: `${u.name}: ${u.label || 'NKI'} med 95 % konfidensintervall`, quarters: doc.quarters, max: 100,
                points: t.map(p => ixPoint(p.nki))}),
            chart({title: `${u.name}: svarsfrekvens, procent`, quarters: doc.quarters, max: 100, bars: true, digits: 0, unit: ' %',
                points: t.map(p => valPoint(p.response_rate, 100))}),
            chart({title: `${u.name}: handläggningstid, median i arbetsdagar`, quarters: doc.quarters, bars: true, digits: 0,
                unit: ' d', points: t.map(p => valPoint(p.decision_median))})));
    };
    pick.addEventListener('change', drawTable);
    which.addEventListener('change', drawCharts);
    drawTable();
    drawCharts();
    return h('section', {'aria-labelledby': 'iu-h'}, h('h2', {id: 'iu-h'}, 'Enheterna'),
        h('p', {class: 'hint'}, 'Index 0–100 med 95 % konfidensintervall. Handläggningstid i arbetsdagar: median / 90:e percentilen. ' +
            'Index på färre än 7 svar redovisas inte.'),
        h('div', {class: 'list-controls'}, h('div', {class: 'field'}, h('label', {for: pick.id}, 'Visa'), pick)),
        tbl,
        total ? h('p', {class: 'hint'}, 'NKI totalt är SKR:s totala NKI sedan 2024: svaren för ',
            listed((total.units || []).map(unitName)), ' tillsammans',
            (total.beside || []).length ? `; ${(total.beside || []).map(unitName).join(' och ')} redovisas bredvid` : '',
            '. Upphandlingens NUI ingår inte. Tydlig och rättssäker på raden Totalt gäller alla enheter.') : null,
        h('h3', null, 'Över åtta kvartal'),
        h('div', {class: 'list-controls'}, h('div', {class: 'field'}, h('label', {for: which.id}, 'Enhet'), which)),
        charts);
}

function changesSection(doc) {
    const ch = doc.changes || [];
    if (!ch.length) return null;
    return h('section', {'aria-labelledby': 'ch-h'}, h('h2', {id: 'ch-h'}, 'Vad har ändrats sedan förra kvartalet'),
        h('p', {class: 'hint'}, 'Index där förra kvartalets värde ligger utanför det här kvartalets konfidensintervall.'),
        table(null, ['Gäller', 'Indikator', 'Förra kvartalet', 'Nu', 'Ändring'], ch.map(c => [
            c.scope === 'unit' ? unitName(c.unit) : LOTS, QUESTION_NAMES[c.indicator] || (c.indicator === 'nki' ? 'NKI' : c.indicator),
            num(c.previous, 1), num(c.current, 1), `${c.change > 0 ? '+' : ''}${num(c.change, 1)} ${c.direction === 'up' ? '▲ upp' : '▼ ned'}`])));
}

async function download(q, format) {
    const res = await api('GET', `/reports/quarterly?quarter=${q}&format=${format}`, undefined, {raw: true});
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = h('a', {href: url, download: `kvartalsrapport-${q}.${format}`});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function render(main, params, ctx) {
    const now = quarterOf(today());
    const q = params[0] || now;
    const choices = quartersBack(now, 8);
    if (!choices.includes(q)) choices.unshift(q);
    const pick = form({
        label: 'Välj kvartal', submit: 'Visa', className: 'form inline picker',
        onSubmit: async v => ctx.go(`kvartal/${v.quarter}`),
    }, [field({label: 'Kvartal', name: 'quarter', options: choices.map(x => [x, x.replace('-Q', ' kvartal ')]), value: q})]);
    let doc = null;
    try {
        doc = await api('GET', `/reports/quarterly?quarter=${q}&format=json`);
    } catch (e) {
        if (e.code !== 'not_computed' && e.status !== 404) throw e;
    }
    append(main, h('h1', {tabindex: -1}, `Kvartalsuppföljning ${q}`), pick);
    if (!doc) {
        const prev = quartersBack(q, 2)[1];
        append(main, h('p', {class: 'notice', id: 'no-indicators'}, errorText('not_computed'), ' ',
            h('a', {href: `#/kvartal/${prev}`}, `Visa ${prev}`), '.'));
    } else {
        const mn = doc.indicators && doc.indicators.min_answers;
        minAnswers = Number.isInteger(mn) ? mn : 7;
        append(main, h('p', {class: 'hint'}, `Beräknat ${when(doc.indicators && doc.indicators.computed_at)}.`,
            doc.missing_quarters && doc.missing_quarters.length ? ` Kvartal utan beräknade indikatorer: ${doc.missing_quarters.join(', ')}.` : ''),
        lotsSection(doc), unitsSection(doc, ctx), changesSection(doc));
        const imp = (doc.indicators && doc.indicators.improvements) || {};
        const items = doc.improvements || [];
        append(main, h('section', {'aria-labelledby': 'imp-h'}, h('h2', {id: 'imp-h'}, 'Förbättringsåtgärder'),
            h('p', null, `Under kvartalet: ${num(imp.identified)} identifierade, ${num(imp.implemented)} genomförda ` +
                `(totalt ${num(imp.identified_total)} respektive ${num(imp.implemented_total)}).`),
            table(null, ['Åtgärd', 'Gäller', 'Status', 'Identifierad', 'Genomförd'], items.map(i => [
                i.title, i.unit ? unitName(i.unit) : LOTS, label(IMPROVEMENT_STATUS, i.status), i.identified_on || '', i.implemented_on || '']),
            'Inga förbättringsåtgärder under perioden.'),
            ctx.user.role !== 'handler' ? h('p', null, h('a', {href: '#/forbattringar'}, 'Alla förbättringsåtgärder'),
                ctx.user.role !== 'viewer' ? ' – registrera nya och ändra status' : '', '.') : null));
    }
    const err = h('p', {class: 'form-error', role: 'alert'});
    const dl = format => h('button', {type: 'button', onclick: async () => {
        err.textContent = '';
        try {
            await download(q, format);
            announce(`Rapporten för ${q} är nedladdad.`);
        } catch (e) {
            err.textContent = errorText(e.code);
        }
    }}, format === 'html' ? 'Ladda ner rapporten (HTML)' : 'Ladda ner tabellen (CSV för Excel)');
    append(main, h('section', {'aria-labelledby': 'r-h'}, h('h2', {id: 'r-h'}, 'Kvartalsrapport'),
        h('p', null, 'Rapporten visar kvartalet och de sju föregående, utan personuppgifter.'),
        doc ? h('div', {class: 'actions'}, dl('html'), dl('csv')) : h('p', null, 'Rapporten kan tas fram när indikatorerna är beräknade.'),
        err));
}
