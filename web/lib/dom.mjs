// dom.mjs: building the page without HTML strings.
//
// Every element is made with document.createElement and every text goes in as a
// text node, so whatever a user wrote (a company called "<img src=x onerror=…>")
// is shown as text and never parsed as markup. Nothing here touches innerHTML.

// h('p', {class: 'x'}, 'text', child) → element. Attributes named on* become
// event listeners; false, null and undefined attributes are left out; true gives
// an empty attribute (required, checked …); strings and numbers in children
// become text nodes.
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'class') el.className = v;
        else if (k === 'value') el.value = v;
        else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
        else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
}

// Appends children (nested arrays allowed) to el; strings become text nodes.
export function append(el, ...children) {
    for (const c of [children].flat(Infinity)) {
        if (c === null || c === undefined || c === false) continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

// Removes every child of el.
export function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
}

let uid = 0;
// A fresh id for label/aria-describedby pairs.
export function newId(prefix) {
    uid += 1;
    return `${prefix || 'f'}-${uid}`;
}

// A labelled field: {label, name, type, value, required, hint, options, rows, ...}.
// options (for a select): [[value, text], …]. Returns the wrapping div; the
// control is div.control.
export function field(spec) {
    const id = newId(spec.name);
    const hintId = spec.hint ? id + '-hint' : null;
    const msgId = id + '-msg';
    const common = {
        id, name: spec.name, required: spec.required, autocomplete: spec.autocomplete || 'off',
        'aria-describedby': [hintId, msgId].filter(Boolean).join(' '),
    };
    let control;
    if (spec.options) {
        control = h('select', common, spec.options.map(([v, t]) => h('option', {value: v, selected: v === spec.value}, t)));
    } else if (spec.type === 'textarea') {
        control = h('textarea', {...common, rows: spec.rows || 3, maxlength: spec.maxlength}, spec.value || '');
    } else {
        control = h('input', {
            ...common, type: spec.type || 'text', value: spec.value ?? '', inputmode: spec.inputmode,
            maxlength: spec.maxlength, min: spec.min, max: spec.max, pattern: spec.pattern,
        });
    }
    const div = h('div', {class: 'field'},
        h('label', {for: id}, spec.label, spec.required ? h('span', {class: 'req'}, ' (obligatoriskt)') : null),
        spec.hint ? h('p', {class: `hint ${spec.hintClass || ''}`, id: hintId}, spec.hint) : null,
        control,
        h('p', {class: 'field-msg', id: msgId}));
    div.control = control;
    div.msg = div.lastChild;
    return div;
}

// A definition list from [[term, value], …]; values may be nodes.
export function dl(rows) {
    return h('dl', {class: 'facts'}, rows.filter(r => r[1] !== null && r[1] !== undefined && r[1] !== '')
        .map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// A stacked table keeps its table semantics: on a narrow screen app.css displays
// its parts as blocks, and Chromium and Safari then drop the table roles from the
// accessibility tree (a screen reader would read loose text, not rows and cells),
// so every part says its role explicitly (WCAG 1.3.1). Answers t.
export function stackRoles(t) {
    t.setAttribute('role', 'table');
    for (const g of t.querySelectorAll(':scope > thead, :scope > tbody')) g.setAttribute('role', 'rowgroup');
    for (const r of t.querySelectorAll(':scope > thead > tr, :scope > tbody > tr')) r.setAttribute('role', 'row');
    for (const c of t.querySelectorAll(':scope > thead > tr > th')) c.setAttribute('role', 'columnheader');
    for (const c of t.querySelectorAll(':scope > tbody > tr > td')) c.setAttribute('role', 'cell');
    return t;
}

// A table: headers [text…], rows [[cell…]…]; a row may carry {cells, class}.
// Stacked as cards on narrow screens (app.css), each cell labelled by its header.
export function table(caption, headers, rows, empty) {
    if (!rows.length) return h('p', {class: 'empty'}, empty || 'Inget att visa.');
    return stackRoles(h('table', {class: 'stack'},
        caption ? h('caption', null, caption) : null,
        h('thead', null, h('tr', null, headers.map(t => h('th', {scope: 'col'}, t || h('span', {class: 'visually-hidden'}, 'Åtgärd'))))),
        h('tbody', null, rows.map(r => {
            const cells = Array.isArray(r) ? r : r.cells;
            return h('tr', {class: Array.isArray(r) ? null : r.class},
                cells.map((c, i) => h('td', {'data-label': headers[i] || null}, c)));
        }))));
}

// Says text to screen readers through the page's polite live region.
export function announce(text) {
    const el = document.getElementById('announce');
    if (!el) return;
    el.textContent = '';
    setTimeout(() => { el.textContent = text; }, 50);
}
