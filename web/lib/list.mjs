// list.mjs: a list screen's table with filters, sorting and paging, done in the
// browser over the rows one request brought (a person's lists are a few hundred
// rows at most; the API pages by 500).
//
//   list({id, columns, rows, filters, sort, pageSize, noun, empty, rowClass, caption})
//
// columns: [{key, label, cell(row) → node|text, value(row) → sort key (none: not
// sortable)}]; filters: [{key, label, options: [[value, text]…], value, test(row, v)}]
// (value '' = all); sort: [key, 'asc'|'desc']; noun: ['ärende', 'ärenden'].
// Headers of sortable columns are buttons (aria-sort on the th); narrow screens get a
// "Sortera" select instead, since the table is stacked there (app.css). What was
// chosen is kept per list id in sessionStorage, so coming back finds it as it was.

import {h, append, clear, newId, stackRoles} from './dom.mjs';

const PREFIX = 'lotsbok.list.';

// On a narrow screen the table is stacked and its header row visually hidden (app.css),
// so its sort buttons leave the tab order there (a tab stop nobody can see); the
// "Sortera" select does their work. Kept right when the window is resized.
const NARROW = window.matchMedia('(max-width: 40rem)');
function sortTabStops(root) {
    for (const b of root.querySelectorAll('table.stack thead button.sort')) b.tabIndex = NARROW.matches ? -1 : 0;
}
NARROW.addEventListener('change', () => sortTabStops(document));

// "1 träff", "3 träffar".
export function count(n, [one, many]) {
    return `${n.toLocaleString('sv-SE')} ${n === 1 ? one : many}`;
}

export function list(spec) {
    const key = PREFIX + spec.id;
    let st;
    try { st = JSON.parse(sessionStorage.getItem(key) || 'null'); } catch { st = null; }
    st = st || {};
    const filters = spec.filters || [];
    const state = {
        f: Object.fromEntries(filters.map(f => [f.key, st.f && f.key in st.f ? st.f[f.key] : (f.value ?? '')])),
        sort: st.sort || spec.sort || null,
        page: st.page || 0,
    };
    const size = spec.pageSize || 25;
    const box = h('div', {class: 'list', id: spec.id});
    const summary = h('p', {class: 'list-count', 'aria-live': 'polite'});
    const body = h('div');
    const save = () => sessionStorage.setItem(key, JSON.stringify(state));
    const sortable = spec.columns.filter(c => c.value);

    const controls = h('div', {class: 'list-controls'});
    for (const f of filters) {
        const id = newId(`${spec.id}-${f.key}`);
        const sel = h('select', {id, onchange: () => { state.f[f.key] = sel.value; state.page = 0; save(); draw(); }},
            f.options.map(([v, t]) => h('option', {value: v, selected: v === state.f[f.key]}, t)));
        append(controls, h('div', {class: 'field'}, h('label', {for: id}, f.label), sel));
    }
    if (sortable.length > 1) {
        const id = newId(`${spec.id}-sort`);
        const opts = sortable.flatMap(c => [[`${c.key}:asc`, `${c.label} (stigande)`], [`${c.key}:desc`, `${c.label} (fallande)`]]);
        const cur = state.sort ? `${state.sort[0]}:${state.sort[1]}` : '';
        const sel = h('select', {id, onchange: () => { state.sort = sel.value.split(':'); state.page = 0; save(); draw(); }},
            opts.map(([v, t]) => h('option', {value: v, selected: v === cur}, t)));
        append(controls, h('div', {class: 'field narrow-only'}, h('label', {for: id}, 'Sortera'), sel));
    }
    // A short list needs no controls: filtering five rows is slower than reading them.
    append(box, controls.firstChild && spec.rows.length > 5 ? controls : null, summary, body);

    function rowsNow() {
        let rows = spec.rows.filter(r => filters.every(f => state.f[f.key] === '' || f.test(r, state.f[f.key])));
        const col = state.sort && spec.columns.find(c => c.key === state.sort[0] && c.value);
        if (col) {
            const dir = state.sort[1] === 'desc' ? -1 : 1;
            rows = rows.map((r, i) => [col.value(r), i, r]).sort((a, b) => {
                const x = a[0] ?? '', y = b[0] ?? '';
                const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'sv');
                return c * dir || a[1] - b[1];
            }).map(x => x[2]);
        }
        return rows;
    }

    function header(c) {
        if (!c.value) return h('th', {scope: 'col'}, c.label ? c.label : h('span', {class: 'visually-hidden'}, 'Åtgärd'));
        const on = state.sort && state.sort[0] === c.key;
        const dir = on ? state.sort[1] : null;
        return h('th', {scope: 'col', 'aria-sort': on ? (dir === 'asc' ? 'ascending' : 'descending') : null},
            h('button', {type: 'button', class: 'sort', onclick: () => {
                state.sort = [c.key, on && dir === 'asc' ? 'desc' : 'asc'];
                state.page = 0;
                save();
                draw();
                const again = box.querySelector(`th[data-key="${c.key}"] button`);
                if (again) again.focus();
            }}, c.label, h('span', {class: 'sort-mark', 'aria-hidden': 'true'}, on ? (dir === 'asc' ? ' ▲' : ' ▼') : ' ↕')));
    }

    function draw() {
        const rows = rowsNow();
        const pages = Math.max(1, Math.ceil(rows.length / size));
        if (state.page >= pages) state.page = pages - 1;
        const shown = rows.slice(state.page * size, (state.page + 1) * size);
        const filtered = rows.length !== spec.rows.length;
        summary.textContent = rows.length
            ? `${count(rows.length, spec.noun || ['rad', 'rader'])}${filtered ? ` (av ${spec.rows.length})` : ''}` +
              (pages > 1 ? `, sida ${state.page + 1} av ${pages}` : '') + '.'
            : '';
        clear(body);
        if (!rows.length) {
            append(body, h('p', {class: 'empty'}, filtered ? 'Inget matchar filtret.' : (spec.empty || 'Inget att visa.')));
            return;
        }
        const ths = spec.columns.map(c => {
            const th = header(c);
            th.dataset.key = c.key;
            return th;
        });
        append(body, stackRoles(h('table', {class: 'stack'},
            spec.caption ? h('caption', null, spec.caption) : null,
            h('thead', null, h('tr', null, ths)),
            h('tbody', null, shown.map(r => h('tr', {class: spec.rowClass ? spec.rowClass(r) : null},
                spec.columns.map(c => h('td', {'data-label': c.label || null}, c.cell(r)))))))));
        sortTabStops(body);
        if (pages > 1) {
            const go = p => () => { state.page = p; save(); draw(); summary.focus(); };
            append(body, h('nav', {class: 'pager', 'aria-label': `Sidor, ${spec.noun ? spec.noun[1] : 'rader'}`},
                h('button', {type: 'button', disabled: state.page === 0, onclick: go(state.page - 1)}, '← Föregående'),
                h('span', null, `Sida ${state.page + 1} av ${pages}`),
                h('button', {type: 'button', disabled: state.page >= pages - 1, onclick: go(state.page + 1)}, 'Nästa →')));
        }
    }
    summary.tabIndex = -1;
    draw();
    return box;
}
