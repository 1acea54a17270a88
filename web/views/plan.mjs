// plan.mjs: the action plan (handlingsplan för näringslivsstrategin) and its yearly
// follow-up. Three screens:
//   #/plan[/2026]                the six målområden, each action with its status badge for
//                                the year; filters by status and responsible unit
//   #/plan/atgard/1.2[/2026]     an action: purpose, activities, indicators with a small
//                                chart across the plan's years, and the year's follow-up
//                                form with the standard template's fields
//   #/plan/rapport[/2026]        the annual report to kommunstyrelsen: HTML and Excel
// Every role reads the plan; admin and lots write every follow-up, a handler those of
// actions whose units include one of theirs (the server decides; the form is only
// offered to those it will accept).

import {h, append, table, announce, dl} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {form, field} from '../lib/forms.mjs';
import {UNITS, label, num, pct, today} from '../lib/sv.mjs';

const STATUS = {not_started: 'Ej påbörjad', ongoing: 'Pågående', completed: 'Genomförd', closed: 'Avslutad'};
const KIND = {auto: 'Hämtas ur Lotsbok', manual: 'Rapporteras', milestone: 'Milstolpe'};
const REASON = {
    not_computed: 'ej beräknat', not_in_snapshot: 'saknas i underlaget', suppressed: 'för få svar',
    source_not_available: 'mäts inte ännu', not_recorded: 'ej inrapporterat',
};

function yearOf(plan, y) {
    const now = Number(today().slice(0, 4));
    const from = plan.period.from, to = plan.period.to;
    const v = Number(y || now);
    return Math.min(Math.max(v, from), to);
}

function badge(f) {
    const s = f && f.status;
    return h('span', {class: `pstatus st-${s || 'none'}`}, s ? STATUS[s] : 'Ej uppföljd');
}

function yearPicker(plan, year, go, base, labelText) {
    const years = [];
    for (let y = plan.period.from; y <= plan.period.to; y++) years.push([String(y), String(y)]);
    return form({label: labelText || 'Välj år', submit: 'Visa', className: 'form inline picker',
        onSubmit: async v => go(`${base}/${v.year}`)},
    [field({label: 'År', name: 'year', options: years, value: String(year)})]);
}

// A value in its unit: 72 %, 68,4, 412, a date or a text; null as why.
function value(item, unit) {
    if (!item) return '–';
    const v = item.value;
    if (v === null || v === undefined) {
        if (item.reason === 'not_recorded' || item.reason === 'not_computed') return '–';
        const why = REASON[item.reason] || 'saknas';
        if (item.reason === 'suppressed' && item.n === 0) return '– (inga svar)';
        if (item.reason === 'suppressed' && item.secondary) return `– (skyddat värde, n = ${item.n})`;
        return item.reason === 'suppressed' ? `– (${why}, n = ${item.n})` : `– (${why})`;
    }
    if (typeof v === 'string') return v;
    if (unit === 'share') return pct(v);
    if (unit === 'index') return num(v, 1);
    return num(v);
}

// A small bar chart of an indicator over the plan's years, with the values as text too.
function chart(ind, items, unit) {
    const pts = items.filter(i => typeof i.value === 'number');
    if (!pts.length || !['count', 'share', 'index'].includes(unit)) return null;
    let max = Math.max(...pts.map(i => i.value), ...items.map(i => i.target || 0));
    if (unit === 'share') max = 1; else if (unit === 'index') max = max <= 6 ? 6 : 100; else max = max * 1.15 || 1;
    const w = 240, slot = w / items.length, ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} 90`);
    svg.setAttribute('class', 'pchart');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `${ind.id} per år: ` + items.map(i => `${i.period} ${value(i, unit)}`).join(', '));
    const el = (tag, attrs, text) => {
        const e = document.createElementNS(ns, tag);
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
        if (text) e.textContent = text;
        svg.append(e);
    };
    items.forEach((it, i) => {
        const cx = slot * i + slot / 2;
        if (typeof it.value === 'number') {
            const bh = Math.min(1, it.value / max) * 60;
            el('rect', {x: cx - slot * 0.3, y: 70 - bh, width: slot * 0.6, height: bh, fill: '#0b4f8a'});
        }
        el('text', {x: cx, y: 84, 'font-size': 10, 'text-anchor': 'middle', fill: '#1b1b1b'}, it.period);
    });
    el('line', {x1: 0, y1: 70, x2: w, y2: 70, stroke: '#4a4a4a'});
    return svg;
}

// --- #/plan -----------------------------------------------------------------------------

function overview(main, plan, year, ctx) {
    append(main, h('h1', {tabindex: -1}, `Handlingsplan ${plan.period.from}–${plan.period.to}`),
        h('p', {class: 'lead'}, plan.title),
        yearPicker(plan, year, ctx.go, 'plan'));
    const units = [...new Set(plan.areas.flatMap(a => a.actions.flatMap(x => x.units || [])))];
    const statusSel = field({label: 'Status', name: 'status',
        options: [['', 'Alla'], ...Object.entries(STATUS), ['none', 'Ej uppföljd']]});
    // A handler starts with the actions their units are responsible for (the ones they
    // may follow up); "Alla" shows the whole plan, which every role reads.
    const user = ctx.user || {};
    const mine = user.role === 'handler' ? (user.units || []) : [];
    const unitSel = field({label: 'Ansvarig enhet', name: 'unit',
        options: [['', 'Alla'], ...(mine.length ? [['mine', 'Mina enheters åtgärder']] : []),
            ['naringsliv', 'Näringslivsenheten'], ...units.map(u => [u, label(UNITS, u)])]});
    if (mine.length) unitSel.control.value = 'mine';
    const count = h('p', {class: 'meta', role: 'status'});
    const filters = h('form', {class: 'form inline', 'aria-label': 'Filtrera åtgärder'}, statusSel, unitSel);
    const list = h('div');
    const draw = () => {
        const st = statusSel.control.value, un = unitSel.control.value;
        list.replaceChildren();
        let n = 0;
        for (const area of plan.areas) {
            const rows = area.actions.filter(a => {
                const s = (a.followup && a.followup.status) || 'none';
                if (st && s !== st) return false;
                if (un === 'naringsliv') return /Näringslivsenheten/.test(a.responsible || '');
                if (un === 'mine') return (a.units || []).some(u => mine.includes(u));
                return !un || (a.units || []).includes(un);
            });
            n += rows.length;
            if (!rows.length) continue;
            append(list, h('section', {class: 'area', 'aria-labelledby': `area-${area.number}`},
                h('h2', {id: `area-${area.number}`}, `Målområde ${area.number}: ${area.title}`),
                h('ul', {class: 'plan-list'}, rows.map(a => h('li', null,
                    h('a', {href: `#/plan/atgard/${a.code}/${year}`}, `${a.code} ${a.title}`), ' ', badge(a.followup),
                    h('span', {class: 'meta'}, a.responsible ? ` ${a.responsible.split('.')[0]}.` : ''))))));
        }
        count.textContent = `${n} av ${plan.areas.reduce((k, a) => k + a.actions.length, 0)} åtgärder visas.`;
    };
    filters.addEventListener('change', draw);
    append(main, filters, count, list,
        h('p', null, h('a', {href: `#/plan/rapport/${year}`}, `Årsrapport ${year} till kommunstyrelsen`)));
    draw();
}

// --- #/plan/atgard/1.2 -------------------------------------------------------------------

function mayEdit(user, action) {
    if (user.role === 'admin' || user.role === 'lots') return true;
    return user.role === 'handler' && (action.units || []).some(u => (user.units || []).includes(u));
}

function followupForm(action, year, fu, ctx) {
    const own = (fu && fu.values) || [];
    const period = String(year);
    const inputs = [];
    for (const ind of action.indicators) {
        if (ind.kind === 'auto' || ind.same_as) continue;
        const cur = own.find(v => v.indicator === ind.id && v.period === period);
        const name = `v:${ind.id}`;
        const text = `${ind.id} ${ind.name}${ind.aspect ? ` – ${ind.aspect}` : ''}`;
        if (ind.kind === 'milestone') {
            inputs.push(field({label: text, name, type: 'date', value: cur && cur.done, hint: `Genomförd datum (senast ${ind.due})`}));
        } else if (ind.unit === 'text') {
            inputs.push(field({label: text, name, type: 'textarea', rows: 2, value: cur && cur.text}));
        } else {
            const v = cur ? (ind.unit === 'share' ? Math.round(cur.value * 1000) / 10 : cur.value) : '';
            inputs.push(field({label: text, name, inputmode: 'decimal', value: String(v).replace('.', ','),
                hint: ind.unit === 'share' ? 'Andel i procent' : null}));
        }
    }
    const f = form({
        label: `Uppföljning ${year}`, submit: 'Spara uppföljningen', draft: `plan-${action.code}-${year}`,
        onSubmit: async v => {
            const values = own.filter(x => x.period !== period).map(({indicator, period: p, value: val, text, done}) =>
                ({indicator, period: p, value: val, text, done}));
            for (const ind of action.indicators) {
                const raw = (v[`v:${ind.id}`] || '').trim();
                if (!raw) continue;
                const item = {indicator: ind.id, period};
                if (ind.kind === 'milestone') item.done = raw;
                else if (ind.unit === 'text') item.text = raw;
                else {
                    const n = Number(raw.replace(',', '.').replace('%', '').trim());
                    if (!Number.isFinite(n)) throw {code: 'invalid_value', field: `v:${ind.id}`};
                    item.value = ind.unit === 'share' ? n / 100 : n;
                }
                values.push(item);
            }
            const body = {status: v.status, results: v.results.trim() || null, adjustment: v.adjustment.trim() || null,
                comment: v.comment.trim() || null, values,
                collaboration: v.collaboration.split(/[\s,;]+/).filter(Boolean)};
            await api('PUT', `/plan/actions/${action.code}/followups/${year}`, body,
                {ifMatch: fu ? fu.version : undefined});
            announce(`Uppföljningen av ${action.code} för ${year} är sparad.`);
            ctx.go(`plan/atgard/${action.code}/${year}`);
        },
    }, [
        field({label: 'Status', name: 'status', options: Object.entries(STATUS), value: (fu && fu.status) || 'ongoing'}),
        field({label: 'Resultat och måluppfyllelse', name: 'results', type: 'textarea', rows: 4, value: fu && fu.results}),
        inputs.length ? h('fieldset', null, h('legend', null, `Indikatorvärden ${year}`), inputs) : null,
        field({label: 'Samverkan med andra åtgärder', name: 'collaboration', value: ((fu && fu.collaboration) || []).join(', '),
            hint: 'Åtgärdernas koder, t.ex. 1.1, 4.4'}),
        field({label: 'Behov av justering', name: 'adjustment', type: 'textarea', rows: 3, value: fu && fu.adjustment}),
        field({label: 'Kommentar från ansvarig', name: 'comment', type: 'textarea', rows: 3, value: fu && fu.comment}),
    ]);
    return f;
}

async function actionPage(main, plan, code, year, ctx) {
    const a = await api('GET', `/plan/actions/${encodeURIComponent(code)}`);
    const fu = (a.followups || []).find(f => f.year === year);
    append(main, h('p', {class: 'crumbs'}, h('a', {href: `#/plan/${year}`}, 'Handlingsplan'), ` › Målområde ${a.area}`),
        h('h1', {tabindex: -1}, `${a.code} ${a.title}`),
        yearPicker(plan, year, ctx.go, `plan/atgard/${a.code}`),
        dl([[`Status ${year}`, badge(fu)], ['Ansvar', a.responsible], ['Tidplan', a.timeline],
            ['Uppföljning', {quarterly: 'Kvartalsvis', annual: 'Årligen', per_activity: 'Efter varje aktivitet'}[a.followup_frequency]]]),
        h('h2', null, 'Syfte och mål'), h('p', {class: 'text'}, a.purpose || '–'),
        h('h2', null, 'Aktiviteter'),
        h('ul', null, (a.activities || []).map(x => h('li', null, x.text, x.done ? ' (klar)' : ''))));
    const years = [];
    for (let y = plan.period.from; y <= year; y++) years.push(String(y));
    const rows = a.indicators.map(ind => {
        const items = (a.values && a.values[ind.id]) || [];
        return [h('span', null, `${ind.id} ${ind.name}${ind.aspect ? ` – ${ind.aspect}` : ''}`, h('br'), h('span', {class: 'meta'}, KIND[ind.kind])),
            ...years.map(y => value(items.find(i => i.period === y), ind.unit)), chart(ind, items, ind.unit) || ''];
    });
    append(main, h('h2', null, 'Indikatorer'),
        h('p', {class: 'hint'}, `Värden till och med ${year}; – betyder att inget värde har rapporterats eller beräknats. Diagrammen visar hela planperioden.`),
        h('div', {class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Indikatorer per år'},
            table(null, ['Indikator', ...years, 'Diagram'], rows, 'Inga indikatorer.')));
    append(main, h('h2', null, `Uppföljning ${year}`));
    if (mayEdit(ctx.user, a)) {
        append(main, followupForm(a, year, fu, ctx));
    } else if (fu) {
        append(main, dl([['Resultat och måluppfyllelse', fu.results], ['Samverkan', (fu.collaboration || []).join(', ')],
            ['Behov av justering', fu.adjustment], ['Kommentar', fu.comment]]));
    } else {
        append(main, h('p', {class: 'empty'}, 'Ingen uppföljning registrerad för året.'));
    }
}

// --- #/plan/rapport -----------------------------------------------------------------------

async function download(year, format) {
    const res = await api('GET', `/reports/annual?year=${year}&format=${format}`, undefined, {raw: true});
    const url = URL.createObjectURL(await res.blob());
    const link = h('a', {href: url, download: `årsrapport-${year}.${format}`});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function reportPage(main, plan, year, ctx) {
    const doc = await api('GET', `/reports/annual?year=${year}&format=json`);
    const s = doc.summary;
    append(main, h('p', {class: 'crumbs'}, h('a', {href: `#/plan/${year}`}, 'Handlingsplan')),
        h('h1', {tabindex: -1}, `Årsrapport ${year} till kommunstyrelsen`),
        yearPicker(plan, year, ctx.go, 'plan/rapport'),
        h('p', null, `Rapporten följer upp planens ${s.actions} åtgärder med status, resultat, indikatorvärden, samverkan och behov av justering, följt av en samlad analys per målområde. Den innehåller inga personuppgifter.`),
        h('div', {class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Åtgärdernas status per målområde'},
            table('Åtgärdernas status', ['Målområde', ...Object.values(STATUS), 'Ej uppföljd', 'Indikatorer åt avsett håll',
                'Åt motsatt håll'], doc.areas.map(a => [`${a.number} ${a.title}`,
                ...['not_started', 'ongoing', 'completed', 'closed', 'not_followed_up'].map(k => num(a.analysis.status[k])),
                num(a.analysis.indicators.intended), num(a.analysis.indicators.against)]))));
    const err = h('p', {class: 'form-error', role: 'alert'});
    const button = (format, text) => h('button', {type: 'button', class: 'primary', onclick: async () => {
        err.textContent = '';
        try {
            await download(year, format);
            announce(`Årsrapporten för ${year} är nedladdad.`);
        } catch (e) {
            err.textContent = `Rapporten kunde inte hämtas (${e.code || 'okänt fel'}).`;
        }
    }}, text);
    append(main, h('div', {class: 'actions'}, button('html', 'Ladda ner rapporten (HTML, för utskrift)'),
        button('xlsx', 'Ladda ner tabellerna (Excel)')), err);
}

// The plan with each action's follow-up status for the year (GET /plan?year=), or
// null before `lotsd plan load` (404 plan_not_loaded): then the screen says so
// instead of "Något gick fel", since the menu offers it to every role.
async function load(main, y) {
    try {
        return await api('GET', `/plan${y ? `?year=${y}` : ''}`);
    } catch (e) {
        if (e.code !== 'plan_not_loaded') throw e;
        append(main, h('h1', {tabindex: -1}, 'Handlingsplan'),
            h('p', {class: 'empty'}, 'Ingen handlingsplan är inläst ännu. När en administratör har läst in ' +
                'näringslivsstrategins handlingsplan (lotsd plan load) finns åtgärderna, uppföljningen och ' +
                'årsrapporten här.'));
        return null;
    }
}

export async function render(main, params, ctx) {
    const plan = await load(main, params[0]);
    return plan && overview(main, plan, yearOf(plan, params[0] || plan.year), ctx);
}
export const actionView = {render: async (main, params, ctx) => {
    const plan = await load(main, params[1]);
    return plan && actionPage(main, plan, params[0], yearOf(plan, params[1] || plan.year), ctx);
}};
export const reportView = {render: async (main, params, ctx) => {
    const plan = await load(main, params[0]);
    return plan && reportPage(main, plan, yearOf(plan, params[0] || plan.year), ctx);
}};
