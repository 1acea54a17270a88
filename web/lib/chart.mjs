// chart.mjs: the quarterly report's small charts over eight quarters, drawn as
// SVG with DOM calls (no markup strings, no style attributes: colours come from
// app.css classes, so dark mode and print follow the page).
//
//   chart({title, quarters, points: [{v, lo?, hi?} | null], max, bars, unit})
//
// Index charts (0–100) draw points with their 95 % interval as whiskers; rates
// and days draw bars. A quarter without a figure (not computed, or too few
// answers) shows "–". Each chart is a <figure> whose SVG is role="img" named by
// the caption, followed by the same figures as a table for screen readers.

import {h} from './dom.mjs';
import {num} from './sv.mjs';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return el;
}

// "2026-Q3" → "26 Q3".
function short(q) {
    return `${q.slice(2, 4)} ${q.slice(5)}`;
}

export function chart(spec) {
    const W = 320, H = 160, L = 34, R = 8, T = 14, B = 22;
    const max = spec.max || Math.max(1, ...spec.points.filter(Boolean).map(p => p.hi ?? p.v)) * 1.15;
    const n = spec.quarters.length;
    const step = (W - L - R) / n;
    const y = v => T + (H - T - B) * (1 - Math.min(v, max) / max);
    const fmt = v => `${num(v, spec.digits ?? 1)}${spec.unit || ''}`;
    const grid = [0, 0.25, 0.5, 0.75, 1].map(f => {
        const v = max * f;
        return [s('line', {class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v)}),
            s('text', {class: 'axis', x: L - 4, y: y(v) + 3, 'text-anchor': 'end'}, num(Math.round(v), 0))];
    });
    const marks = spec.points.map((p, i) => {
        const cx = L + step * (i + 0.5);
        const label = s('text', {class: 'axis', x: cx, y: H - 6, 'text-anchor': 'middle'}, short(spec.quarters[i]));
        if (!p || p.v === null || p.v === undefined) {
            return [label, s('text', {class: 'axis', x: cx, y: y(0) - 4, 'text-anchor': 'middle'}, '–')];
        }
        const parts = [label];
        if (spec.bars) {
            parts.push(s('rect', {class: 'bar', x: cx - step * 0.3, width: step * 0.6, y: y(p.v), height: Math.max(0, y(0) - y(p.v))}));
        } else {
            if (p.lo !== undefined && p.lo !== null) {
                parts.push(s('line', {class: 'ci', x1: cx, x2: cx, y1: y(p.lo), y2: y(p.hi)}),
                    s('line', {class: 'ci', x1: cx - 4, x2: cx + 4, y1: y(p.lo), y2: y(p.lo)}),
                    s('line', {class: 'ci', x1: cx - 4, x2: cx + 4, y1: y(p.hi), y2: y(p.hi)}));
            }
            parts.push(s('circle', {class: 'dot', cx, cy: y(p.v), r: 3.5}));
        }
        parts.push(s('text', {class: 'val', x: cx, y: y(p.hi ?? p.v) - 4, 'text-anchor': 'middle'}, num(p.v, spec.digits ?? 0)));
        return parts;
    });
    const id = `chart-${Math.random().toString(36).slice(2, 9)}`;
    const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': id, focusable: 'false'},
        grid, marks);
    const rows = spec.quarters.map((q, i) => {
        const p = spec.points[i];
        const v = !p || p.v === null || p.v === undefined ? '–'
            : p.lo !== undefined && p.lo !== null ? `${fmt(p.v)} (${num(p.lo, 1)}–${num(p.hi, 1)})` : fmt(p.v);
        return h('tr', null, h('th', {scope: 'row'}, q), h('td', null, v));
    });
    return h('figure', {class: 'figure'}, svg,
        h('figcaption', {id}, spec.title),
        h('details', {class: 'chart-data'}, h('summary', null, 'Visa som tabell', h('span', {class: 'visually-hidden'}, `: ${spec.title}`)),
            h('table', null, h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Kvartal'), h('th', {scope: 'col'}, 'Värde'))),
                h('tbody', null, rows))));
}
