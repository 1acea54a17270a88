// quarter.mjs: the arbetsgrupp's quarter (#/kvartal/2026-Q2) — a quarter picker,
// the indicators of the lots function and of each unit from the worker's snapshot
// (GET /indicators), the improvement actions, and the quarterly report as HTML
// and CSV.
//
// The report needs the bearer token, which a plain link cannot carry, so the
// download buttons fetch it and hand the browser a file (a Blob) to save. The
// HTML file opens in any browser and keeps the report's own stylesheet.

import {h, append, table, announce} from '../lib/dom.mjs';
import {api, listAll} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {UNITS, IMPROVEMENT_STATUS, QUESTION_NAMES, errorText, label, num, pct, today, quarterOf,
    quartersBack, dateOf} from '../lib/sv.mjs';

function index(x) {
    if (!x) return '–';
    if (x.suppressed) return `för få svar (n = ${x.n})`;
    if (x.index === null || x.index === undefined) return '–';
    const ci = x.ci95 ? ` (${num(x.ci95[0], 1)}–${num(x.ci95[1], 1)})` : '';
    return `${num(x.index, 1)}${ci}, n = ${x.n}`;
}
function share(x) {
    if (!x) return '–';
    if (x.suppressed) return `för få svar (n = ${x.n})`;
    return x.value === null || x.value === undefined ? '–' : `${pct(x.value)}, n = ${x.n}`;
}

function lotsSection(l) {
    const f = l.followups || {};
    const rows = [
        ['Företag som fått hjälp', num(l.companies_guided)], ['Företag hittills i år', num(l.companies_guided_ytd)],
        ['Ärenden öppnade', num(l.cases_opened)], ['Ärenden avslutade', num(l.cases_closed)],
        ['Kontakter', Object.values(l.contacts || {}).reduce((a, b) => a + b, 0).toLocaleString('sv-SE')],
        ['Uppföljningar att ringa', num(f.due)], ['Genomförda uppföljningar', num(f.done)],
        ['Svarsfrekvens', pct(f.response_rate)], ['Enkelt att nå rätt person (andel ja)', share(l.easy_contact)],
    ];
    for (const [k, v] of Object.entries(l.questions || {})) rows.push([`Index: ${QUESTION_NAMES[k] || k}`, index(v)]);
    return h('section', {'aria-labelledby': 'il-h'}, h('h2', {id: 'il-h'}, 'Lotsfunktionen'),
        table(null, ['Indikator', 'Värde'], rows));
}

function unitsSection(units) {
    const rows = Object.entries(units || {}).map(([code, u]) => {
        const d = u.decision_working_days || {};
        return [label(UNITS, code), num(u.handoffs), share(u.acknowledged_in_time),
            d.n ? `${d.median} / ${d.p90} (n = ${d.n})` : '–', num(u.overdue),
            pct(u.followups ? u.followups.response_rate : null),
            u.nki ? [`${u.nki.label || 'NKI'} `, index(u.nki), u.nki.grade ? ` – ${u.nki.grade}` : ''] : '–',
            share(u.clear_and_lawful)];
    });
    return h('section', {'aria-labelledby': 'iu-h'}, h('h2', {id: 'iu-h'}, 'Enheterna'),
        h('p', {class: 'hint'}, 'Index 0–100 med 95 % konfidensintervall. Handläggningstid i arbetsdagar: median / 90:e percentilen.'),
        h('div', {class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Tabell över enheterna'},
            table(null, ['Enhet', 'Överlämningar', 'Mottagna inom 2 arbetsdagar', 'Handläggningstid', 'Försenade',
                'Svarsfrekvens', 'NKI/NUI', 'Tydlig och rättssäker (ja)'], rows)));
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
        label: 'Välj kvartal', submit: 'Visa', className: 'form inline',
        onSubmit: async v => ctx.go(`kvartal/${v.quarter}`),
    }, [field({label: 'Kvartal', name: 'quarter', options: choices.map(x => [x, x.replace('-Q', ' kvartal ')]), value: q})]);
    append(main, h('h1', {tabindex: -1}, `Kvartalsuppföljning ${q}`), pick);

    let snap = null;
    try {
        snap = await api('GET', `/indicators?quarter=${q}`);
    } catch (e) {
        if (e.code !== 'not_computed' && e.status !== 404) throw e;
    }
    const improvements = await listAll('/improvements');
    if (!snap) {
        append(main, h('p', {class: 'notice', id: 'no-indicators'}, errorText('not_computed')));
    } else {
        append(main, h('p', {class: 'hint'}, `Beräknat ${dateOf(snap.computed_at)}.`), lotsSection(snap.lots || {}), unitsSection(snap.units));
        const imp = snap.improvements || {};
        append(main, h('p', null, `Förbättringsåtgärder under kvartalet: ${num(imp.identified)} identifierade, ${num(imp.implemented)} genomförda (totalt ${num(imp.identified_total)} respektive ${num(imp.implemented_total)}).`));
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
        snap ? h('div', {class: 'actions'}, dl('html'), dl('csv')) : h('p', null, 'Rapporten kan tas fram när indikatorerna är beräknade.'),
        err));
    append(main, h('section', {'aria-labelledby': 'imp-h'}, h('h2', {id: 'imp-h'}, 'Förbättringsåtgärder'),
        table(null, ['Åtgärd', 'Enhet', 'Status', 'Identifierad', 'Senast ändrad'], improvements.map(i => [
            i.title, i.unit ? label(UNITS, i.unit) : 'Lotsfunktionen', label(IMPROVEMENT_STATUS, i.status),
            dateOf(i.created_at), dateOf(i.updated_at)]), 'Inga förbättringsåtgärder registrerade.')));
}
