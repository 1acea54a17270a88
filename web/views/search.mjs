// search.mjs: the header's search box and its results screen (#/sok/ORD).
//
// The box (searchBox(), put in the header by app.mjs for the lots, handlers and the
// administrator — a viewer may not search, GET /search answers 403) sends the
// words to #/sok/… ; the screen asks GET /search once (docs/search.md: every word
// must match, the last as a prefix; a handler finds only what their units may see,
// scoped by lotsd) and shows the hits grouped by type — Företag, Ärenden,
// Kontakter, Överlämningar — each hit a link with its snippet, the matched words
// marked. "Visa fler träffar" asks for the next page (the answer's cursor).
// Keyboard: "/" anywhere focuses the box (app.mjs); ↓ from the box goes to the
// first hit, ↓/↑ move between the hits, Home/End to the first and last.

import {h, append, clear, announce} from '../lib/dom.mjs';
import {api} from '../lib/api.mjs';
import {count} from '../lib/list.mjs';
import {CASE_STATUS, CHANNELS, DIRECTIONS, HANDOFF_STATUS, label, when, dateOf} from '../lib/sv.mjs';

const PAGE = 50;
const GROUPS = [
    ['company', 'Företag', ['företag', 'företag']],
    ['case', 'Ärenden', ['ärende', 'ärenden']],
    ['contact', 'Kontakter', ['kontakt', 'kontakter']],
    ['handoff', 'Överlämningar', ['överlämning', 'överlämningar']],
];

// The hash of a search for q.
export function searchPath(q) {
    return `sok/${encodeURIComponent(q.trim())}`;
}

// The header's box: a form with role search. onSearch(q) is called with the words.
export function searchBox(onSearch) {
    const input = h('input', {type: 'search', id: 'sok', name: 'q', autocomplete: 'off', maxlength: 200,
        placeholder: 'Företag, ärende, anteckning …', 'aria-keyshortcuts': '/',
        enterkeyhint: 'search', spellcheck: 'false'});
    const f = h('form', {role: 'search', 'aria-label': 'Sök i Lotsbok', class: 'search-box', onsubmit: ev => {
        ev.preventDefault();
        const q = input.value.trim();
        if (q) onSearch(q);
        else input.focus();
    }},
    h('label', {for: 'sok', class: 'visually-hidden'}, 'Sök'),
    input,
    h('button', {type: 'submit', class: 'search-go'}, 'Sök', h('span', {class: 'visually-hidden'}, ' i Lotsbok')));
    input.addEventListener('keydown', ev => {
        if (ev.key === 'ArrowDown') {
            const first = document.querySelector('#main .hits a');
            if (first) { ev.preventDefault(); first.focus(); }
        } else if (ev.key === 'Escape' && input.value) {
            ev.preventDefault();
            input.value = '';
        }
    });
    f.input = input;
    return f;
}

// The snippet with the matched words in <mark> (highlights count code points).
function marked(snippet, highlights) {
    if (!snippet) return null;
    const cps = Array.from(snippet);
    const out = [];
    let at = 0;
    for (const [start, len] of [...(highlights || [])].sort((a, b) => a[0] - b[0])) {
        if (start < at) continue;
        if (start > at) out.push(cps.slice(at, start).join(''));
        out.push(h('mark', null, cps.slice(start, start + len).join('')));
        at = start + len;
    }
    if (at < cps.length) out.push(cps.slice(at).join(''));
    return out;
}

function target(it) {
    switch (it.type) {
    case 'company': return `#/foretag/${it.id}`;
    case 'case': return `#/arende/${it.id}`;
    case 'contact': return `#/arende/${it.case_id}`;
    default: return `#/overlamning/${it.id}`;
    }
}

function meta(it) {
    switch (it.type) {
    case 'company': return [it.orgnr, it.locality].filter(Boolean).join(' · ');
    case 'case': // the company's name once: in the snippet when that is where the words matched
        return [it.field === 'company_name' ? null : it.company_name, label(CASE_STATUS, it.status)].filter(Boolean).join(' · ');
    case 'contact': return [when(it.at), label(CHANNELS, it.channel), label(DIRECTIONS, it.direction)].filter(Boolean).join(' · ');
    default: return [label(HANDOFF_STATUS, it.status), it.reference ? `Dnr ${it.reference}` : null, dateOf(it.created_at)]
        .filter(Boolean).join(' · ');
    }
}

// Where the snippet is from, when the title does not say it already.
const FIELD = {locality: 'Ort', orgnr: 'Orgnr', description: 'Beskrivning', close_note: 'Avslutsanteckning',
    company_locality: 'Företagets ort', company_name: 'Företag', summary: 'Sammanfattning', note: 'Anteckning',
    reference: 'Diarienummer', decision_note: 'Beslut', withdraw_note: 'Återkallad'};

function hit(it) {
    return h('li', {class: 'hit'},
        h('a', {href: target(it)}, it.title || `#${it.id}`),
        h('span', {class: 'muted hit-meta'}, ` ${meta(it)}`),
        it.snippet ? h('p', {class: 'snippet'}, FIELD[it.field] ? h('span', {class: 'muted'}, `${FIELD[it.field]}: `) : null,
            marked(it.snippet, it.highlights)) : null);
}

// ↓/↑/Home/End between the hits' links.
function arrows(box) {
    box.addEventListener('keydown', ev => {
        if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(ev.key)) return;
        const links = [...box.querySelectorAll('.hits a')];
        const i = links.indexOf(document.activeElement);
        if (i < 0) return;
        ev.preventDefault();
        let j = ev.key === 'ArrowDown' ? i + 1 : ev.key === 'ArrowUp' ? i - 1 : ev.key === 'Home' ? 0 : links.length - 1;
        if (j < 0) { document.getElementById('sok')?.focus(); return; }
        j = Math.min(j, links.length - 1);
        links[j].focus();
    });
}

export async function render(main, params, ctx) {
    const q = (params[0] || '').trim();
    const box = document.getElementById('sok');
    if (box && document.activeElement !== box) box.value = q;
    const heading = h('h1', {tabindex: -1}, q ? `Sök: ${q}` : 'Sök');
    if (!q) {
        append(main, heading, h('p', null, 'Skriv ord i sökrutan överst – ett företagsnamn, en ort, ett organisationsnummer, ' +
            'ett ärendenummer eller ord ur en anteckning. Alla orden ska finnas; det sista får vara början av ett ord. ',
        'Tryck ', h('kbd', null, '/'), ' för att komma till sökrutan.'));
        return;
    }
    const first = await api('GET', `/search?q=${encodeURIComponent(q)}&limit=${PAGE}`);
    const items = [...first.items];
    let next = first.next;
    const summary = h('p', {class: 'list-count', 'aria-live': 'polite'});
    const groups = h('div', {class: 'search-groups'});
    const more = h('p');
    const draw = () => {
        clear(groups);
        const nav = [];
        for (const [type, title, noun] of GROUPS) {
            const rows = items.filter(it => it.type === type);
            if (!rows.length) continue;
            const id = `hits-${type}`;
            nav.push(h('li', null, h('a', {href: `#${id}`, onclick: ev => {
                ev.preventDefault();
                document.getElementById(id)?.querySelector('a')?.focus();
            }}, `${title} (${rows.length})`)));
            append(groups, h('section', {'aria-labelledby': `${id}-h`, id},
                h('h2', {id: `${id}-h`}, `${title} `, h('span', {class: 'muted'}, `(${count(rows.length, noun)})`)),
                h('ul', {class: 'hits'}, rows.map(hit))));
        }
        summary.textContent = items.length
            ? `${count(items.length, ['träff', 'träffar'])}${next ? ' hittills' : ''}, bäst först i varje grupp.`
            : `Inga träffar för "${q}". Alla orden måste finnas; prova färre eller kortare ord.`;
        if (nav.length > 1) groups.prepend(h('nav', {'aria-label': 'Träffar per typ'}, h('ul', {class: 'hit-types'}, nav)));
        clear(more);
        if (next) {
            append(more, h('button', {type: 'button', onclick: async ev => {
                ev.target.disabled = true;
                const r = await api('GET', `/search?q=${encodeURIComponent(q)}&limit=${PAGE}&after=${encodeURIComponent(next)}`);
                const before = items.length;
                items.push(...r.items);
                next = r.next;
                draw();
                announce(`${count(items.length - before, ['träff till', 'träffar till'])}.`);
            }}, 'Visa fler träffar'));
        }
    };
    draw();
    const screen = h('div', {class: 'search'}, summary, groups, more);
    arrows(screen);
    append(main, heading, screen);
    void ctx;
}
